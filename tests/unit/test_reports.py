"""The scores' pure computations (services/inbox/reports/service.py): which requests count, the tally of
a hotel-day, nearest-rank quantiles, merging days and hotels, the period asked."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.inbox.reports.service import (
    Tally,
    first_response_minutes,
    latest_today,
    nearest_rank,
    period,
    report_of,
    score_day_of,
    stored,
    tally_from,
    tally_of,
)
from shared.problems import Problem

OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def request(**fields: object) -> dict[str, object]:
    return {"status": "open", "automatic": False, "alert": False, "created_at": OPENED, **fields}


def answered(seconds: float, **fields: object) -> dict[str, object]:
    return request(first_response_at=OPENED + timedelta(hours=5), first_response_business_seconds=seconds, **fields)


class TestNearestRank:
    def test_median_and_p90_of_ten_values(self) -> None:
        histogram = dict.fromkeys(range(1, 11), 1)
        assert nearest_rank(histogram, 50) == 5  # rank ceil(5.0) = 5
        assert nearest_rank(histogram, 90) == 9  # rank ceil(9.0) = 9
        assert nearest_rank(histogram, 100) == 10

    def test_odd_counts_and_repeated_values(self) -> None:
        assert nearest_rank({3: 1}, 50) == 3
        assert nearest_rank({1: 1, 7: 1, 9: 1}, 50) == 7  # rank ceil(1.5) = 2
        assert nearest_rank({2: 4, 60: 1}, 90) == 60  # rank ceil(4.5) = 5

    def test_nothing_counted_has_no_quantile(self) -> None:
        assert nearest_rank({}, 50) is None
        assert nearest_rank({5: 0}, 90) is None

    @given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=200), st.integers(1, 100))
    def test_equals_the_sorted_list_at_the_rank(self, values: list[int], percent: int) -> None:
        histogram: dict[int, int] = {}
        for value in values:
            histogram[value] = histogram.get(value, 0) + 1
        rank = -(-percent * len(values) // 100)
        assert nearest_rank(histogram, percent) == sorted(values)[rank - 1]


class TestTally:
    def test_spam_and_automatic_replies_do_not_count(self) -> None:
        tally = tally_of([request(), request(status="spam"), request(automatic=True), answered(90, status="spam")])
        assert (tally.requests, tally.answered) == (1, 0)

    def test_whole_business_minutes_rounded_down(self) -> None:
        tally = tally_of([answered(59.9), answered(60), answered(3 * 3600 + 59), request()])
        assert (tally.requests, tally.answered) == (4, 3)
        assert dict(tally.first_response_minutes) == {0: 1, 1: 1, 180: 1}

    def test_without_business_seconds_the_calendar_time_counts(self) -> None:
        older = request(first_response_at=OPENED + timedelta(minutes=42, seconds=30))
        assert first_response_minutes(older) == 42
        assert first_response_minutes(request()) is None

    def test_targets_alerts_and_ratings(self) -> None:
        met = {"first_response": {"state": "met"}}
        missed = {"first_response": {"state": "missed"}}
        running = {"first_response": {"state": "running"}}
        tally = tally_of(
            [
                answered(60, sla=met, survey={"rating": 5}),
                answered(6000, sla=missed, alert=True, survey={"rating": 2}),
                request(sla=running, alert=True),
                answered(30, alert=True, sla=met),
                request(sla={"first_response": None, "resolution": {"state": "met"}}),
            ]
        )
        assert (tally.fr_met, tally.fr_missed) == (2, 1)
        assert (tally.alerts, tally.alerts_met, tally.alerts_missed) == (3, 1, 1)
        assert (tally.csat_sum, tally.csat_count) == (7, 2)

    def test_stored_and_read_back(self) -> None:
        tally = tally_of([answered(60, sla={"first_response": {"state": "met"}}), answered(600), request()])
        document = stored("h1", "2026-03-02", tally)
        assert document["_id"] == "h1:2026-03-02"
        assert document["first_response_minutes"] == {"1": 1, "10": 1}
        assert tally_from(document) == tally


class TestMerge:
    def test_the_total_merges_histograms_not_medians(self) -> None:
        days = [
            stored("a", "2026-03-01", tally_of([answered(60), answered(120), answered(180)])),  # median 2
            stored("b", "2026-03-01", tally_of([answered(600 * 60), request()])),  # median 600
            stored("b", "2026-03-02", tally_of([answered(599 * 60)])),
        ]
        hotels = [{"_id": "a", "name": "Alpha"}, {"_id": "b", "name": "Beta"}]
        report = report_of(hotels, days, date(2026, 3, 1), date(2026, 3, 3), None)
        alpha, beta = report.hotels
        assert (alpha.name, alpha.requests, alpha.first_response_median_minutes) == ("Alpha", 3, 2)
        assert (beta.requests, beta.answered) == (3, 2)
        assert beta.response_rate == pytest.approx(2 / 3)
        assert beta.first_response_median_minutes == 599
        assert (report.total.requests, report.total.answered) == (6, 5)
        assert report.total.first_response_median_minutes == 3  # of 1, 2, 3, 599, 600: rank 3
        assert report.total.first_response_p90_minutes == 600
        assert [d.requests for d in beta.daily] == [2, 1, 0]
        assert [d.response_rate for d in beta.daily] == [0.5, 1.0, None]
        assert [d.requests for d in report.total.daily] == [5, 1, 0]

    def test_nothing_to_divide_is_null(self) -> None:
        report = report_of([{"_id": "a"}], [], date(2026, 3, 1), date(2026, 3, 1), None)
        row = report.hotels[0]
        assert (row.name, row.requests, row.response_rate, row.within_target_share) == ("a", 0, None, None)
        assert (row.csat_average, row.first_response_median_minutes, row.alerts_within_target_share) == (
            None,
            None,
            None,
        )

    def test_merging_is_adding(self) -> None:
        one, two = tally_of([answered(60)]), tally_of([answered(60), request(survey={"rating": 4})])
        merged = Tally()
        merged.add(one)
        merged.add(two)
        assert merged == tally_of([answered(60), answered(60), request(survey={"rating": 4})])


class TestPeriod:
    TODAY = date(2026, 12, 4)

    def test_defaults_to_the_last_30_days(self) -> None:
        assert period(None, None, self.TODAY) == (date(2026, 11, 5), self.TODAY)
        assert period(date(2026, 1, 1), None, self.TODAY) == (date(2026, 1, 1), date(2026, 1, 30))

    def test_at_most_366_days_and_in_order(self) -> None:
        assert period(date(2024, 1, 1), date(2024, 12, 31), self.TODAY)[1] == date(2024, 12, 31)  # 366 days
        with pytest.raises(Problem) as too_long:
            period(date(2025, 1, 1), date(2026, 1, 2), self.TODAY)
        assert too_long.value.status == 422
        with pytest.raises(Problem):
            period(date(2026, 2, 1), date(2026, 1, 1), self.TODAY)


def test_today_is_the_latest_among_the_hotels_zones() -> None:
    night = datetime(2026, 12, 4, 3, 30, tzinfo=UTC)  # 22:30 the day before in New York, 04:30 in Paris
    assert latest_today(["America/New_York"], night) == date(2026, 12, 3)
    assert latest_today(["America/New_York", "Europe/Paris", None], night) == date(2026, 12, 4)
    assert latest_today([], night) == date(2026, 12, 4)


def test_score_day_is_stored_else_the_creation_day_in_the_hotels_zone() -> None:
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    assert score_day_of({"created_at": late}, ZoneInfo("Europe/Paris")) == "2026-03-03"
    assert score_day_of({"created_at": late}, ZoneInfo("America/New_York")) == "2026-03-02"
    assert score_day_of({"created_at": late, "score_day": "2026-03-01"}, ZoneInfo("Europe/Paris")) == "2026-03-01"
