"""HTTP surface of the scores: GET /api/v1/reports/response-times, per hotel the actor sees and in total."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from shared.auth import ActorDep
from shared.runtime import RuntimeDep

from .schemas import ResponseTimes
from .service import Reports, reports_for

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


def reports_of(runtime: RuntimeDep) -> Reports:
    return reports_for(runtime)


ReportsDep = Annotated[Reports, Depends(reports_of)]
GroupId = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("/response-times")
async def response_times(
    actor: ActorDep,
    reports: ReportsDep,
    start: Annotated[date | None, Query(description="First day (YYYY-MM-DD); default: 29 days before `end`.")] = None,
    end: Annotated[date | None, Query(description="Last day, included (at most 366 days after `start`).")] = None,
    group_id: GroupId = None,
) -> ResponseTimes:
    """Response rate, first-response median and p90 (whole business minutes, nearest rank), share within
    target, alerts, CSAT, and daily series, per hotel the actor sees (narrowed to a group), and in total.
    Days are the requests' creation days in their hotel's time zone."""
    return await reports.response_times(actor, start, end, group_id)
