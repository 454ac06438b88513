"""Issue 24: a hotel's business hours and survey channels through the directory's API. Managers set them for
their own hotels (through their groups), and nothing else of a hotel; admins any; invalid hours are clear 422s
in the caller's language; what is saved reads back as the calendar's `BusinessHours`. A "care" group's agents
see its hotels."""

import uuid
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from shared.business_hours import BusinessHours
from tests.integration.conftest import ADMIN, Stack

pytestmark = pytest.mark.integration

PASSWORD = "business-hours-password"
FRENCH = {"Accept-Language": "fr"}
# An overnight range on Friday (22:00 to 06:00 on Saturday), a day ending at midnight, and two closures.
HOURS: dict[str, Any] = {
    "weekly": {
        "mon": [{"start": "08:00", "end": "12:00"}, {"start": "14:00", "end": "19:00"}],
        "fri": [{"start": "08:00", "end": "19:00"}, {"start": "22:00", "end": "06:00"}],
        "sat": [{"start": "10:00", "end": "24:00"}],
    },
    "closures": [
        {"start": "2026-12-24", "end": "2026-12-26", "label": "Noël"},
        {"start": "2027-01-01"},
    ],
}
# What the API answers for them: every field of a closure, its defaults filled.
SAVED_CLOSURES = [
    {"start": "2026-12-24", "end": "2026-12-26", "label": "Noël"},
    {"start": "2027-01-01", "end": None, "label": ""},
]


class Chain:
    """Two hotels, a group holding the first, its manager (signed in), and an agent of the first."""

    def __init__(self, stack: Stack) -> None:
        tag = uuid.uuid4().hex[:8]
        self.base = f"{stack.url('inbox')}/api/v1"
        self.own, self.other, self.group = f"hours-a-{tag}", f"hours-b-{tag}", f"hours-g-{tag}"
        self.manager_email, self.agent_email = f"hours-boss-{tag}@test.hotel", f"hours-agent-{tag}@test.hotel"
        self.manager: dict[str, str] = {}
        self.agent: dict[str, str] = {}

    def hotel(self, location_id: str) -> str:
        return f"{self.base}/locations/{location_id}"

    async def build(self, http: httpx.AsyncClient) -> "Chain":
        for hotel in (self.own, self.other):
            await created(http, f"{self.base}/locations", {"id": hotel, "name": f"Hôtel {hotel}"})
        await created(
            http, f"{self.base}/location-groups", {"id": self.group, "name": "Nord", "location_ids": [self.own]}
        )
        manager = {"name": "Maud Nord", "email": self.manager_email, "role": "manager", "group_ids": [self.group]}
        agent = {"name": "Alex Nord", "email": self.agent_email, "location_ids": [self.own]}
        for body in (manager, agent):
            await created(http, f"{self.base}/agents", {**body, "password": PASSWORD})
        self.manager = await signed_in(http, self.base, self.manager_email)
        self.agent = await signed_in(http, self.base, self.agent_email)
        return self


async def created(http: httpx.AsyncClient, url: str, body: dict[str, Any]) -> Any:
    answer = await http.post(url, json=body, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def signed_in(http: httpx.AsyncClient, base: str, email: str) -> dict[str, str]:
    answer = await http.post(f"{base}/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.fixture(scope="module")
async def chain(stack: Stack) -> Chain:
    """One chain for the module: each test leaves the first hotel's hours and survey as it found them."""
    async with httpx.AsyncClient(timeout=10) as http:
        return await Chain(stack).build(http)


async def test_a_manager_sets_the_hours_and_survey_of_their_groups_hotel_and_reads_them_back(
    stack: Stack, http: httpx.AsyncClient, chain: Chain, mongo: AsyncMongoClient[dict[str, object]]
) -> None:
    before = (await http.get(chain.hotel(chain.own), headers=chain.manager)).json()
    assert (before["business_hours"], before["survey_channels"]) == (None, []), "never set: around the clock, no survey"

    body = {"business_hours": HOURS, "survey_channels": ["chat", "email", "chat"]}
    answer = await http.patch(chain.hotel(chain.own), json=body, headers=chain.manager)
    assert answer.status_code == 200, answer.text
    saved = answer.json()
    assert saved["business_hours"] == {"weekly": HOURS["weekly"], "closures": SAVED_CLOSURES}
    assert saved["survey_channels"] == ["email", "chat"], "each channel once, in a fixed order"
    assert saved["name"] == f"Hôtel {chain.own}", "the rest of the hotel is left as it was"

    # The same read by the manager, one by one and in the list, and by the hotel's agent.
    for headers in (chain.manager, chain.agent):
        again = (await http.get(chain.hotel(chain.own), headers=headers)).json()
        assert (again["business_hours"], again["survey_channels"]) == (saved["business_hours"], ["email", "chat"])
    listed = {hotel["id"]: hotel for hotel in (await http.get(f"{chain.base}/locations", headers=chain.manager)).json()}
    assert listed[chain.own]["business_hours"] == saved["business_hours"]

    # Stored as the calendar reads it back (ISO dates: BSON has no date), the overnight range included.
    stored = await mongo[stack.env["HUB_MONGO_DATABASE"]]["locations"].find_one({"_id": chain.own})
    assert stored is not None
    hours = BusinessHours.model_validate(stored["business_hours"])
    assert hours.weekly["fri"][1].overnight
    assert [closure.last_day.isoformat() for closure in hours.closures] == ["2026-12-26", "2027-01-01"]

    # Open around the clock again, keeping a closure (no weekly ranges); then no hours at all (null).
    around = {"business_hours": {"weekly": {}, "closures": [{"start": "2027-01-01"}]}, "survey_channels": []}
    answer = await http.patch(chain.hotel(chain.own), json=around, headers=chain.manager)
    assert answer.status_code == 200, answer.text
    assert answer.json()["business_hours"] == {"weekly": {}, "closures": [SAVED_CLOSURES[1]]}
    assert answer.json()["survey_channels"] == []
    answer = await http.patch(chain.hotel(chain.own), json={"business_hours": None}, headers=chain.manager)
    assert answer.status_code == 200, answer.text
    assert answer.json()["business_hours"] is None


async def test_a_manager_is_refused_another_hotel_and_the_hotels_other_fields(
    stack: Stack, http: httpx.AsyncClient, chain: Chain
) -> None:
    hours = {"business_hours": HOURS}
    before = {hotel: (await http.get(chain.hotel(hotel), headers=ADMIN)).json() for hotel in (chain.own, chain.other)}
    for hotel in (chain.other, f"unknown-{chain.other}"):  # refused alike, whether the hotel exists or not
        answer = await http.patch(chain.hotel(hotel), json=hours, headers=chain.manager)
        assert answer.status_code == 403, answer.text
        assert answer.json()["detail"] == "Managers change the settings of their own hotels only."
    french = await http.patch(chain.hotel(chain.other), json=hours, headers={**chain.manager, **FRENCH})
    assert french.json()["detail"] == "Les responsables ne modifient que les réglages de leurs propres hôtels."

    # Their own hotel, with a field that is the chain's: refused whole, naming what is not theirs.
    mixed = {**hours, "name": "Renamed", "sender_email": None}
    answer = await http.patch(chain.hotel(chain.own), json=mixed, headers=chain.manager)
    assert answer.status_code == 403, answer.text
    assert answer.json()["detail"] == (
        "Managers may change only a hotel's business_hours and survey_channels; name, sender_email are for admins."
    )
    french = await http.patch(chain.hotel(chain.own), json=mixed, headers={**chain.manager, **FRENCH})
    assert french.json()["detail"] == (
        "Les responsables ne peuvent modifier d'un hôtel que business_hours et survey_channels ; "
        "name, sender_email : réservé aux administrateurs."
    )
    # An agent of the hotel changes none of it.
    answer = await http.patch(chain.hotel(chain.own), json={"survey_channels": ["email"]}, headers=chain.agent)
    assert answer.status_code == 403, answer.text

    for hotel in (chain.own, chain.other):
        assert (await http.get(chain.hotel(hotel), headers=ADMIN)).json() == before[hotel], "nothing changed"

    # Admins change any hotel's hours, with its other fields.
    answer = await http.patch(chain.hotel(chain.other), json={**hours, "name": "Hôtel B"}, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["name"], answer.json()["business_hours"]["weekly"]) == ("Hôtel B", HOURS["weekly"])
    answer = await http.patch(chain.hotel(chain.other), json={"business_hours": None}, headers=ADMIN)
    assert answer.json()["business_hours"] is None


def week(ranges: Any) -> dict[str, Any]:
    return {"business_hours": {"weekly": {"mon": ranges}}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (week([{"start": "25:00", "end": "18:00"}]), "business_hours.weekly.mon.0.start"),
        (week([{"start": "09:00", "end": "00:00"}]), "business_hours.weekly.mon.0.end"),
        (week([{"start": "9h", "end": "18:00"}]), "business_hours.weekly.mon.0.start"),
        (week([{"start": "09:00", "end": "18:00"}] * 7), "business_hours.weekly.mon"),
        (
            {"business_hours": {"weekly": {"lun": [{"start": "09:00", "end": "18:00"}]}}},
            "business_hours.weekly.lun.[key]",
        ),
        ({"business_hours": {"weekly": {"mon": [], "tue": []}}}, "business_hours"),
        ({"business_hours": {"closures": [{"start": "2026-12-26", "end": "2026-12-24"}]}}, "business_hours.closures.0"),
        ({"business_hours": {"closures": [{"start": "24/12/2026"}]}}, "business_hours.closures.0.start"),
        (
            {"business_hours": {"closures": [{"start": "2026-12-24", "label": "x" * 101}]}},
            "business_hours.closures.0.label",
        ),
        ({"survey_channels": ["sms"]}, "survey_channels.0"),
        (
            {"business_hours": {"weekly": {}, "closures": [{"start": "2020-01-01", "end": "2099-12-31"}]}},
            "business_hours",
        ),
    ],
    ids=[
        "hour 25",
        "end at 00:00",
        "not HH:MM",
        "7 ranges a day",
        "unknown day",
        "never open",
        "closure ending before it starts",
        "closure date not ISO",
        "closure label too long",
        "unknown survey channel",
        "closed for years",
    ],
)
async def test_invalid_hours_are_a_clear_422_in_the_callers_language(
    stack: Stack, http: httpx.AsyncClient, chain: Chain, body: dict[str, Any], field: str
) -> None:
    english = await http.patch(chain.hotel(chain.own), json=body, headers=chain.manager)
    assert english.status_code == 422, english.text
    errors = english.json()["errors"]
    assert [error["field"] for error in errors] == [field], errors
    french = await http.patch(chain.hotel(chain.own), json=body, headers={**chain.manager, **FRENCH})
    assert french.status_code == 422
    [error] = french.json()["errors"]
    english_words = errors[0]["message"].removeprefix("Value error, ").split(",")[0]
    assert english_words not in error["message"], f"not translated: {error['message']}"
    assert (await http.get(chain.hotel(chain.own), headers=ADMIN)).json()["business_hours"] is None


async def test_an_admin_sets_hours_at_creation_and_a_care_groups_agents_see_its_hotels(
    stack: Stack, http: httpx.AsyncClient, chain: Chain
) -> None:
    hotel = f"{chain.own}-new"
    body = {"id": hotel, "name": "Hôtel Neuf", "business_hours": HOURS, "survey_channels": ["form"]}
    made = await created(http, f"{chain.base}/locations", body)
    assert (made["business_hours"]["closures"], made["survey_channels"]) == (SAVED_CLOSURES, ["form"])

    care = f"{chain.group}-care"
    group = await created(
        http,
        f"{chain.base}/location-groups",
        {"id": care, "name": "Service client", "kind": "care", "location_ids": [hotel]},
    )
    assert group["kind"] == "care"
    email = f"care-{chain.agent_email}"
    await created(
        http, f"{chain.base}/agents", {"name": "Cam Care", "email": email, "group_ids": [care], "password": PASSWORD}
    )
    headers = await signed_in(http, chain.base, email)
    seen = (await http.get(f"{chain.base}/locations", headers=headers)).json()
    assert [(h["id"], h["group_ids"]) for h in seen] == [(hotel, [care])]
    assert (await http.get(f"{chain.base}/location-groups/{care}", headers=headers)).json()["kind"] == "care"
    wrong = await http.patch(f"{chain.base}/location-groups/{care}", json={"kind": "desk"}, headers=ADMIN)
    assert wrong.status_code == 422, wrong.text
