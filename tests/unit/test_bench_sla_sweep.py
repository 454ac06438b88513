"""The SLA sweep benchmark without servers: its requests follow the sweep's own rules, its table and targets."""

from datetime import UTC, datetime, timedelta

from bench.sla_sweep import (
    DUE_COUNTS,
    SweepResult,
    Timing,
    Windows,
    conversation,
    due_conversation,
    plan_summary,
    targets,
)
from services.inbox.conversations.repository import snooze_minute
from services.inbox.sla import decisions

NOW = datetime(2026, 12, 4, 3, 0, 30, tzinfo=UTC)


class TestSeededRequests:
    def test_none_is_due_and_their_check_times_are_what_the_rules_schedule(self) -> None:
        seeded = [conversation(n, 50, NOW) for n in range(400)]
        assert all(decisions.due_work(document, NOW) is None for document in seeded)
        for document in seeded:
            scheduled = decisions.schedule(document["sla"], document["status"])
            assert (document["sla_due_at"], document["sla_check_at"]) == (
                scheduled["sla_due_at"],
                scheduled["sla_check_at"],
            )
            check = document["sla_check_at"]
            assert document["sla_check_minute"] == (snooze_minute(check) if check else None)
        waiting = [document for document in seeded if document["sla_check_at"] is not None]
        assert 0.3 < len(waiting) / len(seeded) < 0.5  # open and on hold, under a policy
        assert all(document["sla_check_at"] > NOW + timedelta(days=1) for document in waiting)

    def test_a_due_request_has_its_first_response_missed_at_its_check_time(self) -> None:
        document = due_conversation("due-1", "hotel-000", NOW)
        assert decisions.due_work(document, NOW - timedelta(seconds=1)) is None
        assert decisions.due_work(document, NOW) == decisions.Miss("first_response")
        assert document["sla_check_minute"] == snooze_minute(NOW)

    def test_windows_only_move_back_a_day_at_a_time(self) -> None:
        windows = Windows(NOW)
        first, second = windows.next(), windows.next()
        assert first == datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
        assert second == first - timedelta(days=1)


def result(sweep_ms: dict[int, float], scan_ms: float) -> SweepResult:
    found = SweepResult(1_000_000, 600.0, open_scan_ms=scan_ms, open_count=400_000)
    found.sweep = {k: Timing(samples=[ms], found=[2 * k]) for k, ms in sweep_ms.items()}
    found.query = {k: Timing(samples=[scan_ms]) for k in DUE_COUNTS}
    found.by_minute = {k: Timing(samples=[k / 10]) for k in DUE_COUNTS}
    return found


class TestTargets:
    def test_a_sweep_costing_what_is_due_meets_both(self) -> None:
        rows = targets(result({10: 300.0, 100: 2_500.0, 1000: 25_000.0}, scan_ms=500_000.0))
        assert [row[-1] for row in rows] == ["✓", "✓"]

    def test_a_sweep_that_reads_everything_misses_both(self) -> None:
        rows = targets(result({10: 500_300.0, 100: 502_500.0, 1000: 525_000.0}, scan_ms=500_000.0))
        assert [row[-1] for row in rows] == ["✗", "✗"]

    def test_without_the_sweeper_the_query_is_judged_and_the_flatness_is_unknown(self) -> None:
        rows = targets(result({}, scan_ms=500_000.0))
        assert "range query" in rows[0][0]
        assert [row[-1] for row in rows] == ["✗", "—"]

    def test_the_table_has_a_row_per_due_count(self) -> None:
        table = result({10: 300.0}, scan_ms=500_000.0).table()
        assert [row[0] for row in table.rows] == ["10", "100", "1,000"]
        assert table.rows[0][6] == "30.0"  # ms per due request


def test_plan_summary_names_the_pushdown_and_the_index() -> None:
    plan = {
        "filterPushdown": True,
        "sortPushdown": False,
        "queryPlanner": {
            "Plan": {
                "Node Type": "Bitmap Heap Scan",
                "Plans": [{"Node Type": "Bitmap Index Scan", "Index Name": "hub_gin_1"}],
            }
        },
    }
    assert plan_summary(plan) == (
        "filter pushed down, sort in FerretDB, PostgreSQL: Bitmap Heap Scan > Bitmap Index Scan on hub_gin_1"
    )
    assert "Seq Scan" in plan_summary({"filterPushdown": False, "queryPlanner": {"Plan": {"Node Type": "Seq Scan"}}})
