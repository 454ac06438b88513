"""HTTP models of the scores: a hotel's (or the total's) figures over a period, and its days."""

from datetime import date

from pydantic import BaseModel, Field

Share = float | None  # 0..1; None when there is nothing to divide


class DayScore(BaseModel):
    """One day of a hotel (or of the total), for sparklines."""

    day: str = Field(description="YYYY-MM-DD, the requests' creation day in their hotel's time zone.")
    requests: int
    answered: int
    response_rate: Share


class Scores(BaseModel):
    requests: int = Field(description="Requests created in the period, spam and automatic replies excluded.")
    answered: int = Field(description="Those an agent answered.")
    response_rate: Share = Field(description="answered / requests.")
    first_response_median_minutes: int | None = Field(
        description="Median first-response time in whole business minutes (nearest rank), of the answered ones."
    )
    first_response_p90_minutes: int | None = Field(description="90th percentile, nearest rank, likewise.")
    within_target_share: Share = Field(
        description="First-response targets met, among those met or missed (running ones are not counted yet)."
    )
    alerts: int = Field(description="Requests that raised an alert (a very unhappy guest).")
    alerts_within_target_share: Share = Field(description="Likewise for the alerts' first-response targets.")
    csat_average: float | None = Field(description="Average satisfaction rating (1 to 5).")
    csat_count: int = Field(description="Ratings given.")
    daily: list[DayScore]


class HotelScores(Scores):
    location_id: str
    name: str


class ResponseTimes(BaseModel):
    start: date
    end: date
    group_id: str | None
    hotels: list[HotelScores]
    total: Scores = Field(description="The hotels listed together (their histograms merged, not their medians).")
