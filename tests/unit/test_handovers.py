"""What a colleague or a supplier reads when a request is handed to them: the hotel's language, the guest's
contact details and message, a signed read-only link that expires, and no console address."""

from datetime import UTC, datetime
from typing import Any

from services.inbox.conversations import decisions, handovers, schemas
from shared import tokens
from shared.auth import Actor
from shared.bus import HotelLanguage, OutboundKind

SECRET = "a-secret-long-enough-for-tests"
AGENT = Actor(
    agent_id="lea", name="Léa Roux", initials="LR", email="lea@test.hotel", role="agent", location_ids=["opera"]
)
GUEST = {"name": "Anna Martin", "email": "anna@example.com", "phone": "+33612345678"}
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC).timestamp()


def document() -> dict[str, object]:
    return {"_id": "c0ffee", "location_id": "opera", "subject": "Late arrival", "guest": GUEST, "snippet": "We arr"}


def context(language: HotelLanguage) -> handovers.Context:
    hotel = handovers.Hotel(
        name="Hôtel Opéra", sender_name="Opéra", sender_address="opera@h.example", language=language
    )
    link = handovers.view_link("https://hub.example/", "c0ffee", SECRET, now=NOW)
    return handovers.Context(hotel=hotel, guest_message="We arrive at midnight.\nCan you keep the room?", link=link)


class TestTexts:
    def test_a_french_hotels_forward_is_in_french_with_what_is_needed_to_act(self) -> None:
        change = decisions.forward(schemas.Forward(to="desk@x.example", note="Tu peux ?"), AGENT, context("fr"))(
            document()
        )
        assert change.outbound is not None
        text = change.outbound.text
        assert text.startswith("Léa Roux vous transfère une demande client.")
        assert "Tu peux ?" in text
        for detail in ("Anna Martin", "anna@example.com", "+33612345678", "Can you keep the room?"):
            assert detail in text
        assert "/conversations/" not in text
        assert "https://hub.example/requests/c0ffee." in text
        assert change.outbound.subject == "[Transfert] Late arrival"

    def test_an_english_hotels_share_and_delegation_are_in_english(self) -> None:
        shared = decisions.share(schemas.Share(to=["spa@x.example"]), AGENT, context("en"))(document())
        delegated = decisions.delegate(schemas.Delegate(), AGENT, "cs@x.example", context("en"))(document())
        assert shared.outbound is not None
        assert delegated.outbound is not None
        assert shared.outbound.text.startswith("Léa Roux shared a guest request with you.")
        assert delegated.outbound.text.startswith("Léa Roux delegated a guest request to you.")
        assert "Phone: +33612345678" in shared.outbound.text
        assert shared.outbound.subject == "[Shared] Late arrival"

    def test_a_missing_detail_is_said_missing(self) -> None:
        text = handovers.text(OutboundKind.SHARE, handovers.Hotel(), "Léa", "", None, {}, "", None)
        assert "Téléphone : non renseigné" in text
        assert "requests/" not in text


class TestHotel:
    def test_the_directory_gives_the_sender_and_language(self) -> None:
        hotel = handovers.Hotel.of(
            {"_id": "opera", "name": "Hôtel Opéra", "sender_email": "o@h.example", "language": "en"}
        )
        assert (hotel.sender_name, hotel.sender_address, hotel.language) == ("Hôtel Opéra", "o@h.example", "en")
        assert handovers.Hotel.of(None).language == "fr"


class TestViewLink:
    def test_a_link_opens_its_request_for_seven_days_only(self) -> None:
        link = handovers.view_link("https://hub.example", "c0ffee", SECRET, now=NOW)
        token = link.url.rpartition("/")[2]
        assert handovers.viewed_conversation(token, SECRET, now=NOW + 6 * 86400) == "c0ffee"
        assert handovers.viewed_conversation(token, SECRET, now=NOW + 7 * 86400 + 1) is None
        assert handovers.viewed_conversation(token, "another-secret", now=NOW) is None

    def test_a_changed_expiry_or_id_breaks_the_signature(self) -> None:
        token = handovers.view_token("c0ffee", SECRET, int(NOW) + 10)
        object_id, expiry, signature = token.split(".")
        later = f"{object_id}.{int(expiry, 16) + 86400:x}.{signature}"
        assert tokens.verify_until(handovers.VIEW_TOKEN_PURPOSE, later, SECRET, NOW) is None
        assert tokens.verify_until(handovers.VIEW_TOKEN_PURPOSE, f"bad.{expiry}.{signature}", SECRET, NOW) is None
        assert tokens.verify_until("reply", token, SECRET, NOW) is None, "signed for one purpose only"

    def test_the_page_shows_messages_escaped_and_no_notes(self) -> None:
        entries: list[dict[str, Any]] = [
            {"kind": "message", "direction": "inbound", "text": "<b>Hi</b>", "at": datetime(2026, 12, 1, tzinfo=UTC)},
            {"kind": "note", "text": "internal: VIP"},
        ]
        page = handovers.page(document(), entries, handovers.Hotel(name="Hôtel Opéra"))
        assert "&lt;b&gt;Hi&lt;/b&gt;" in page
        assert "internal" not in page
        assert "anna@example.com" in page
