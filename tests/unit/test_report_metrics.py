"""Report metrics of the inbox (labels and reservations per hotel) keep their label values bounded."""

from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

from services.inbox.conversations.service import Change, _observe
from services.inbox.metrics import OTHER_LABEL, report_label
from shared.bus import ReservationRecorded


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class TestReportLabel:
    @pytest.mark.parametrize(
        ("typed", "counted"),
        [
            ("VIP", "VIP"),
            ("vip", "VIP"),  # an agent's spelling counts in the hotel's
            ("  Late   arrival ", "Late arrival"),
            ("honeymoon", OTHER_LABEL),
            ("VIP guest", OTHER_LABEL),
        ],
    )
    def test_a_label_counts_as_the_configured_one_it_names_else_other(self, typed: str, counted: str) -> None:
        assert report_label(typed, ["VIP", "Late arrival"]) == counted

    def test_a_hotel_without_configured_labels_counts_everything_as_other(self) -> None:
        assert report_label("VIP", []) == OTHER_LABEL


BEFORE = {"location_id": "unit-hotel", "channel": "email", "created_at": datetime.now(UTC), "labels": ["VIP"]}


class TestObserve:
    def test_labels_put_on_are_counted_once_each_by_hotel_and_configured_label(self) -> None:
        name = "hub_inbox_labels_applied_total"
        vip, other = value(name, location="unit-hotel", label="VIP"), value(name, location="unit-hotel", label="other")
        late = value(name, location="unit-hotel", label="Late arrival")
        change = Change(set={"labels": ["VIP", "late arrival", "free text", "more text"]})
        _observe(BEFORE, change, ["VIP", "Late arrival"])
        assert value(name, location="unit-hotel", label="VIP") == vip, "already on the request"
        assert value(name, location="unit-hotel", label="Late arrival") == late + 1
        assert value(name, location="unit-hotel", label="other") == other + 2

    def test_reservations_are_counted_by_hotel_and_kind(self) -> None:
        name = "hub_inbox_reservations_recorded_total"
        before = value(name, location="unit-hotel", kind="spa")
        event = ReservationRecorded(conversation_id="c1", location_id="unit-hotel", version=2, category="spa")
        _observe(BEFORE, Change(event=event), [])
        assert value(name, location="unit-hotel", kind="spa") == before + 1
