"""Pure rules of a hotel's business hours and survey channels in the directory: who changes what, what the
API takes, and how a hotel without them reads."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.inbox.directory.schemas import GroupIn, LocationIn, LocationPatch
from services.inbox.directory.service import MANAGER_HOTEL_FIELDS, check_business_hours, may_edit_hotel, public_hotel
from shared.auth import Actor, Role
from shared.business_hours import BusinessHours
from shared.problems import Problem


def actor(role: Role, hotels: list[str]) -> Actor:
    return Actor(agent_id="a1", name="Maud", initials="M", email="m@x.test", role=role, location_ids=hotels)


class TestWhoEditsAHotel:
    def test_a_manager_changes_hours_and_survey_of_their_hotels(self) -> None:
        may_edit_hotel(actor("manager", ["h1"]), "h1", {"business_hours", "survey_channels"})
        may_edit_hotel(actor("manager", ["h1"]), "h1", set())

    def test_a_manager_is_refused_another_hotel_whether_it_exists_or_not(self) -> None:
        with pytest.raises(Problem) as refused:
            may_edit_hotel(actor("manager", ["h1"]), "h2", {"business_hours"})
        assert (refused.value.status, refused.value.detail) == (
            403,
            "Managers change the settings of their own hotels only.",
        )

    @pytest.mark.parametrize("other", ["name", "timezone", "sender_email", "labels", "language"])
    def test_a_manager_is_refused_any_other_field_and_told_which(self, other: str) -> None:
        with pytest.raises(Problem) as refused:
            may_edit_hotel(actor("manager", ["h1"]), "h1", {"business_hours", other})
        assert refused.value.status == 403
        assert refused.value.detail.endswith(f"; {other} are for admins.")

    def test_an_agent_changes_nothing_and_an_admin_anything(self) -> None:
        with pytest.raises(Problem):
            may_edit_hotel(actor("agent", ["h1"]), "h1", {"survey_channels"})
        may_edit_hotel(actor("admin", []), "h9", {"name", *MANAGER_HOTEL_FIELDS})


class TestWhatTheApiTakes:
    def test_survey_channels_each_once_in_a_fixed_order(self) -> None:
        patch = LocationPatch.model_validate({"survey_channels": ["chat", "email", "chat"]})
        assert patch.survey_channels == ["email", "chat"]
        with pytest.raises(ValidationError):
            LocationPatch.model_validate({"survey_channels": ["sms"]})

    def test_weekly_days_all_empty_are_refused_but_no_days_mean_around_the_clock(self) -> None:
        with pytest.raises(ValidationError, match="at least one opening range"):
            LocationPatch.model_validate({"business_hours": {"weekly": {"mon": [], "sun": []}}})
        around = LocationPatch.model_validate({"business_hours": {"closures": [{"start": "2026-12-25"}]}})
        assert around.business_hours is not None
        assert around.business_hours.always_open

    def test_a_new_hotel_has_no_hours_nor_survey_unless_given(self) -> None:
        hotel = LocationIn.model_validate({"id": "h1", "name": "Hôtel"})
        assert (hotel.business_hours, hotel.survey_channels) == (None, [])

    def test_a_group_may_be_a_central_care_group(self) -> None:
        assert GroupIn.model_validate({"id": "care", "name": "Service client", "kind": "care"}).kind == "care"


def test_hours_that_never_open_for_two_years_are_refused() -> None:
    now = datetime(2026, 12, 4, tzinfo=UTC)
    closed = BusinessHours.model_validate({"closures": [{"start": "2026-12-01", "end": "2028-12-31"}]})
    with pytest.raises(Problem) as refused:
        check_business_hours(closed, "Europe/Paris", now)
    assert (refused.value.status, refused.value.extra["errors"][0]["field"]) == (422, "business_hours")
    nearly = BusinessHours.model_validate({"closures": [{"start": "2026-12-01", "end": "2028-06-30"}]})
    check_business_hours(nearly, "Europe/Paris", now)
    check_business_hours(None, None, now)


def test_a_hotel_stored_before_hours_reads_as_around_the_clock_without_survey() -> None:
    hotel = public_hotel({"_id": "h1", "name": "Hôtel Opéra"})
    assert (hotel["business_hours"], hotel["survey_channels"]) == (None, [])
