"""The pure rules of issue 21's list: which part of an alerts-first list a request is in, the cursor that
says so, an alert's priority, and a hotel's short name."""

from datetime import UTC, datetime

import pytest

from services.inbox.conversations.queries import decode_list_cursor, encode_cursor
from services.inbox.conversations.repository import ConversationQuery
from services.inbox.conversations.service import priority_of_new
from services.inbox.conversations.states import ALERTS_FIRST, VIEWS, Status
from services.inbox.directory.service import public_hotel, short_name_of
from shared.problems import Problem

AT = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)


def conversation(status: str, alert: bool, bot_active: bool = False) -> dict[str, object]:
    return {"status": status, "alert": alert, "bot_active": bot_active}


class TestAlertsFirstParts:
    def test_the_inbox_leads_with_its_open_alerts_then_the_open_others_and_the_holds(self) -> None:
        inbox = ConversationQuery(VIEWS["inbox"], locations=("h",), alerts_first=True)
        assert inbox.leading_alerts().condition == VIEWS["bucket_alerts"]
        assert [part.condition for part in inbox.after_alerts()] == [VIEWS["bucket_new"], VIEWS["bucket_on_hold"]]
        assert all(part.locations == ("h",) and not part.alerts_first for part in inbox.after_alerts())
        assert inbox.leads(conversation("open", alert=True))
        assert not inbox.leads(conversation("on_hold", alert=True)), "an alert set aside on hold waits its turn"
        assert not inbox.leads(conversation("open", alert=True, bot_active=True))
        assert not inbox.leads(conversation("open", alert=False))

    def test_the_open_tab_has_no_holds_after_its_alerts(self) -> None:
        opened = ConversationQuery(VIEWS["status_open"], alerts_first=True)
        assert [part.condition.statuses for part in opened.after_alerts()] == [frozenset({Status.OPEN})]

    def test_only_the_working_tabs_list_alerts_first(self) -> None:
        assert frozenset({"inbox", "status_open"}) == ALERTS_FIRST
        assert not ConversationQuery(VIEWS["all"]).leads(conversation("open", alert=True))


class TestListCursor:
    @pytest.mark.parametrize("alert", [True, False])
    def test_a_cursor_says_whether_it_stopped_among_the_alerts(self, alert: bool) -> None:
        assert decode_list_cursor(encode_cursor(AT, "abc", alert=alert)) == (AT, "abc", alert)

    def test_a_bad_cursor_is_refused(self) -> None:
        with pytest.raises(Problem):
            decode_list_cursor("not a cursor")


def test_an_alert_opens_with_a_high_priority_and_others_low() -> None:
    assert priority_of_new(alert=True) == "high"
    assert priority_of_new(alert=False) == "low"


class TestShortName:
    @pytest.mark.parametrize(
        ("name", "short"),
        [
            ("Hôtel Lyon Part-Dieu", "Lyon Part-Dieu"),
            ("Le Grand Hôtel de Bordeaux", "Grand Bordeaux"),
            ("Hotel Marseille Vieux-Port", "Marseille"),
            ("Hôtel d'Angleterre", "Angleterre"),
            ("Hôtel", "Hôtel"),
            ("Hôtel Abcdefghijklmnopqrstu", "Abcdefghijklm…"),
        ],
    )
    def test_the_distinctive_words_that_fit(self, name: str, short: str) -> None:
        assert short_name_of(name) == short

    def test_a_hotel_shows_the_short_name_set_or_one_from_its_name(self) -> None:
        assert public_hotel({"_id": "h", "name": "Hôtel Nice"})["short_name"] == "Nice"
        assert public_hotel({"_id": "h", "name": "Hôtel Nice", "short_name": None})["short_name"] == "Nice"
        assert public_hotel({"_id": "h", "name": "Hôtel Nice", "short_name": "NCE"})["short_name"] == "NCE"
