"""The live fan-out benchmark's arithmetic without servers: reading SSE, scoring deliveries, its table."""

from bench.live_fanout import (
    Delivery,
    Figures,
    SseEvent,
    StreamRecord,
    open_files_limit,
    resync_metric,
    score,
    split_frames,
    table,
)


class TestSplitFrames:
    def test_named_events_and_what_remains_of_an_incomplete_one(self) -> None:
        events, rest = split_frames('retry: 3000\n\nevent: conversation.note_added\ndata: {"a": 1}\n\nevent: resy')
        assert events == [SseEvent("conversation.note_added", '{"a": 1}')]
        assert rest == "event: resy"
        events, rest = split_frames(rest + "nc\ndata: {}\n\n")
        assert (events, rest) == ([SseEvent("resync", "{}")], "")

    def test_keep_alives_are_no_events_and_data_lines_join(self) -> None:
        events, _ = split_frames(": keep-alive\n\ndata: one\ndata: two\n\n")
        assert events == [SseEvent("message", "one\ntwo")]


SENT = {"c1": ("paris", 10.0), "c2": ("paris", 20.0), "c3": ("lyon", 30.0)}


class TestScore:
    def test_each_event_is_owed_to_every_open_stream_of_its_hotel(self) -> None:
        got_all = StreamRecord("paris", opened=True, received={"c1": 10.002, "c2": 20.004})
        resynced = StreamRecord("paris", opened=True, received={"c1": 10.001}, resyncs=[25.0])
        late_resync_only_before = StreamRecord("lyon", opened=True, resyncs=[29.0])
        never_opened = StreamRecord("lyon")
        delivery = score(SENT, [got_all, resynced, late_resync_only_before, never_opened])
        assert (delivery.owed, delivery.delivered, delivery.resynced, delivery.lost) == (5, 3, 1, 1)
        assert [round(ms) for ms in sorted(delivery.latencies_ms)] == [1, 2, 4]


class TestReadings:
    def test_the_resync_counter_summed_over_its_labels(self) -> None:
        exposition = (
            "# TYPE hub_inbox_live_resyncs_total counter\n"
            'hub_inbox_live_resyncs_total{reason="overflow"} 2.0\n'
            'hub_inbox_live_resyncs_total{reason="slow"} 3.0\n'
            "hub_inbox_live_resyncs_created 1.7e9\n"
        )
        assert resync_metric(exposition) == ("hub_inbox_live_resyncs_total", 5.0)
        assert resync_metric("hub_http_requests_total 4.0\n") is None
        never_counted = (
            "# HELP hub_inbox_live_resyncs_total Streams told to refetch\n# TYPE hub_inbox_live_resyncs counter\n"
        )
        assert resync_metric(never_counted) == ("hub_inbox_live_resyncs_total", 0.0)

    def test_the_open_files_limit(self) -> None:
        limits = "Limit                     Soft Limit           Hard Limit           Units\n"
        limits += "Max open files            20000                20000                files\n"
        assert open_files_limit(limits) == "20000"


def figures(lost: int, cpu: float) -> Figures:
    return Figures(
        streams=4,
        hotels=2,
        rate=10,
        seconds=1,
        opened=4,
        open_seconds=0.1,
        published=10,
        publish_seconds=1.0,
        delivery=Delivery(owed=20, delivered=20 - lost, resynced=0, lost=lost, latencies_ms=[1.0, 2.0]),
        ended_early={},
        inbox_cpu_idle=1.0,
        inbox_cpu_run=cpu,
        load_cpu_run=3.0,
        load_lag_ms=[0.5],
        health_ms=[],
        rss_before_mb=70,
        rss_open_mb=71,
        rss_after_mb=72,
        resync_events=0,
        resync_counter=None,
        open_files="20000",
    )


class TestTable:
    def test_the_target_needs_every_event_and_under_half_a_core(self) -> None:
        assert "| **target met** | **yes** |" in table(figures(lost=0, cpu=20.0))
        assert "| **target met** | **no** |" in table(figures(lost=1, cpu=20.0))
        assert "| **target met** | **no** |" in table(figures(lost=0, cpu=60.0))

    def test_missing_samples_read_as_a_dash(self) -> None:
        assert "| inbox `/healthz` round trip p50 / p99 during the run | — / — |" in table(figures(lost=0, cpu=1.0))
