"""The reference FAQ bot's rules without servers: which question a message asks in French and English, the
hand-over dialogue read back from the conversation, first names and email addresses, the webhook signature."""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from services.faqbot import dialogue
from services.faqbot.dialogue import Decision, Step, decide, email_of, first_name_of, language_of, standing
from services.faqbot.faq import FaqFile, HotelFaq, best_question
from services.faqbot.hub import Hub
from services.faqbot.main import build_app
from services.faqbot.schemas import GuestMessage, Message, Webhook
from services.faqbot.service import FaqBot, before, message_key, signature_matches
from services.faqbot.settings import FaqBotSettings

ROOT = Path(__file__).resolve().parents[2]
DEMO_FAQ = ROOT / "deploy" / "faqbot" / "demo-faq.json"
FAQ = FaqFile.load(DEMO_FAQ).hotels["paris-opera"]
SECRET = "a-bot-secret-of-at-least-thirty-two-characters"
START = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def converse(faq: HotelFaq, *guest_texts: str, language: str | None = None) -> list[Decision]:
    """The bot's decisions for each guest message in turn, with the conversation as the hub keeps it."""
    history: list[Message] = []
    decisions = []
    for index, text in enumerate(guest_texts):
        decision = decide(faq, history, text, language)
        decisions.append(decision)
        at = START + timedelta(minutes=index)
        history += [
            Message(direction="inbound", author_kind="guest", text=text, at=at),
            Message(direction="outbound", author_kind="bot", text=decision.reply, at=at + timedelta(seconds=1)),
        ]
    return decisions


def question_id(text: str) -> str | None:
    found = best_question(FAQ, text)
    return found.id if found else None


class TestMatchingQuestions:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("À quelle heure est servi le petit-déjeuner ?", "breakfast"),
            ("petit dejeuner svp", "breakfast"),
            ("What time is breakfast?", "breakfast"),
            ("Avez-vous un parking ?", "parking"),
            ("Where can I park my car?", "parking"),
            ("What time is check-out?", "check-out"),
            ("Quelle est l'heure du départ ?", "check-out"),
            ("When can I check in?", "check-in"),
            ("Le WIFI est-il gratuit ?", "wifi"),
            ("Do you accept dogs?", None),
            ("Bonjour", None),
        ],
    )
    def test_a_message_finds_its_question_in_either_language(self, text: str, expected: str | None) -> None:
        assert question_id(text) == expected

    def test_keywords_match_whole_words_only(self) -> None:
        assert question_id("I will be carrying a cardboard box") is None, "'car' is not in 'carrying'"

    def test_the_answer_is_in_the_language_of_the_message(self) -> None:
        [french] = converse(FAQ, "Bonjour, à quelle heure est le petit-déjeuner ?")
        [english] = converse(FAQ, "Hello, what time is breakfast?")
        assert french.reply.startswith("Le petit-déjeuner est servi de 7h")
        assert english.reply.startswith("Breakfast is served from 7:00")
        assert french.handover is None
        assert english.handover is None

    def test_a_message_that_does_not_say_its_language_is_answered_in_the_hubs(self) -> None:
        assert language_of("wifi") is None
        [english] = converse(FAQ, "wifi", language="en")
        [french] = converse(FAQ, "wifi", language=None)  # the hotel's default language
        assert english.reply.startswith("Wifi is free")
        assert french.reply.startswith("Le wifi est gratuit")

    def test_a_greeting_gets_the_topics_the_bot_knows(self) -> None:
        [greeting] = converse(FAQ, "Bonjour !")
        assert greeting.reply.startswith("Bonjour ! Je suis l'assistant")
        assert "le petit-déjeuner, le parking" in greeting.reply
        assert greeting.handover is None

    @pytest.mark.parametrize(
        ("text", "language"),
        [
            ("Bonjour, je voudrais une chambre", "fr"),
            ("Est-ce possible ?", "fr"),
            ("Hello, is there a gym?", "en"),
            ("Claire", None),
        ],
    )
    def test_the_language_of_a_message(self, text: str, language: str | None) -> None:
        assert language_of(text) == language


class TestHandOver:
    def test_a_guest_asking_for_a_person_gives_name_and_email_then_is_handed_over(self) -> None:
        ask, name, email = converse(FAQ, "Je voudrais parler à un conseiller", "Claire", "claire@example.com")
        assert ask.reply == dialogue.ASK_NAME[dialogue.REASON_ASKED].fr
        assert ask.handover is None
        assert name.reply == "Merci Claire ! Quelle est votre adresse e-mail, pour que l'équipe puisse vous écrire ?"
        assert email.reply == dialogue.HANDED_OVER.fr
        assert email.capture == dialogue.Capture("Claire", "claire@example.com", None)
        assert email.handover == "guest asked for a person"

    @pytest.mark.parametrize("request_text", ["un conseiller", "une personne", "humain", "agent", "a person", "human"])
    def test_every_way_of_asking_for_a_person_starts_the_hand_over(self, request_text: str) -> None:
        [ask] = converse(FAQ, request_text)
        assert ask.reply in (dialogue.ASK_NAME[dialogue.REASON_ASKED].fr, dialogue.ASK_NAME[dialogue.REASON_ASKED].en)

    def test_an_unknown_question_is_handed_over_in_english_with_the_booking_intent(self) -> None:
        ask, name, email = converse(FAQ, "Can I book a table at your restaurant tonight?", "my name is john", "j@x.io")
        assert ask.reply == dialogue.ASK_NAME[dialogue.REASON_UNKNOWN].en
        assert name.reply.startswith("Thank you, John!")
        assert email.reply == dialogue.HANDED_OVER.en
        assert email.handover == "question not in the FAQ"
        assert email.capture is not None
        assert email.capture.first_name == "John"
        assert email.capture.email == "j@x.io"
        assert email.capture.reservation_intent == dialogue.ReservationIntent(
            "restaurant", "Can I book a table at your restaurant tonight?"
        )

    def test_a_room_booking_is_a_room_intent(self) -> None:
        *_, done = converse(FAQ, "Je voudrais réserver une chambre pour samedi", "Léa", "lea@example.fr")
        assert done.capture is not None
        assert done.capture.reservation_intent == dialogue.ReservationIntent(
            "room", "Je voudrais réserver une chambre pour samedi"
        )

    def test_an_invalid_email_is_asked_again_once_then_the_guest_is_handed_over_without_it(self) -> None:
        *_, wrong, again = converse(FAQ, "agent", "Paul", "paul at example", "paul@example", language="en")
        assert wrong.reply == dialogue.ASK_EMAIL_AGAIN.en
        assert wrong.handover is None
        assert again.reply == dialogue.HANDED_OVER.en
        assert again.capture == dialogue.Capture("Paul", None, None)
        assert again.handover == "guest asked for a person"

    def test_an_email_corrected_on_the_second_try_is_captured(self) -> None:
        *_, wrong, right = converse(FAQ, "un conseiller", "Marc", "marc@", "Oui : marc.petit@example.com.")
        assert wrong.reply == dialogue.ASK_EMAIL_AGAIN.fr
        assert right.capture == dialogue.Capture("Marc", "marc.petit@example.com", None)

    def test_a_question_of_the_faq_instead_of_a_name_is_answered(self) -> None:
        _, answer = converse(FAQ, "un conseiller", "Finalement, à quelle heure est le petit-déjeuner ?")
        assert answer.reply.startswith("Le petit-déjeuner est servi")
        assert answer.handover is None

    def test_after_an_agent_wrote_the_dialogue_starts_over(self) -> None:
        asked = dialogue.ASK_NAME[dialogue.REASON_ASKED].fr
        history = [
            Message(direction="inbound", author_kind="guest", text="un conseiller", at=START),
            Message(direction="outbound", author_kind="bot", text=asked, at=START),
            Message(direction="outbound", author_kind="agent", text="Bonjour, je suis Marc.", at=START),
        ]
        assert standing(history[:2]).step is Step.NAME
        assert standing(history).step is Step.FREE
        assert decide(FAQ, history, "parking ?").reply.startswith("Nous n'avons pas de parking")

    def test_a_hotel_without_questions_hands_every_question_over(self) -> None:
        [ask] = converse(HotelFaq(), "Quel est le code du wifi ?")
        assert ask.reply == dialogue.ASK_NAME[dialogue.REASON_UNKNOWN].fr


class TestGuestDetails:
    @pytest.mark.parametrize(
        ("text", "name"),
        [
            ("Claire", "Claire"),
            ("claire", "Claire"),
            ("Je m'appelle Jean-Pierre", "Jean-Pierre"),
            ("Bonjour, moi c'est Zoé.", "Zoé"),
            ("My name is JOHN Smith", "John"),
            ("I'm Ana", "Ana"),
            ("claire@example.com", None),
            ("?!", None),
        ],
    )
    def test_the_first_name_in_an_answer(self, text: str, name: str | None) -> None:
        assert first_name_of(text) == name

    @pytest.mark.parametrize(
        ("text", "email"),
        [
            ("claire@example.com", "claire@example.com"),
            ("C'est Claire.Dubois@Example.FR.", "Claire.Dubois@example.fr"),
            ("mon mail: <anna@hotel.example.org>", "anna@hotel.example.org"),
            ("claire@example", None),
            ("claire at example.com", None),
            ("a@b@c.com", None),
            ("x@hotel.localhost", None),
        ],
    )
    def test_the_email_address_in_an_answer(self, text: str, email: str | None) -> None:
        assert email_of(text) == email


class TestWebhook:
    def body(self, event: str = "message") -> bytes:
        message = {"text": "Bonjour", "at": START.isoformat()} if event == "message" else None
        hook = {
            "event": event,
            "delivery_id": "d1",
            "conversation_id": "c1",
            "location_id": "paris-opera",
            "language": "fr",
            "guest": {"name": None, "email": None},
            "message": message,
        }
        return json.dumps(hook).encode()

    def signed(self, body: bytes, secret: str = SECRET) -> str:
        return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()

    def test_the_signature_is_the_hmac_of_the_raw_body(self) -> None:
        body = self.body()
        assert signature_matches(SECRET, body, self.signed(body))
        assert not signature_matches(SECRET, body + b" ", self.signed(body))
        assert not signature_matches(SECRET, body, self.signed(body, secret=SECRET + "x"))
        assert not signature_matches(SECRET, body, self.signed(body).removeprefix("sha256="))
        assert not signature_matches(SECRET, body, None)
        assert not signature_matches(SECRET, body, "")

    @pytest.fixture
    def client(self) -> TestClient:
        # The hub's address answers nothing: these requests must be settled without calling it.
        settings = FaqBotSettings(
            api_url="http://127.0.0.1:9", token=SecretStr("t"), secret=SecretStr(SECRET), faq_file=DEMO_FAQ
        )
        return TestClient(build_app(settings))

    def test_an_unsigned_or_missigned_webhook_is_refused_with_401(self, client: TestClient) -> None:
        with client:
            body = self.body()
            assert client.post("/webhook", content=body).status_code == 401
            forged = client.post("/webhook", content=body, headers={"X-Hub-Signature-256": self.signed(b"{}")})
            assert forged.status_code == 401
            assert client.get("/healthz").json() == {"status": "alive"}

    def test_a_signed_closed_event_is_acknowledged_without_calling_the_hub(self, client: TestClient) -> None:
        with client:
            body = self.body("closed")
            answer = client.post("/webhook", content=body, headers={"X-Hub-Signature-256": self.signed(body)})
            assert answer.status_code == 204

    def test_a_signed_message_the_hub_cannot_be_asked_about_answers_502_to_be_retried(self, client: TestClient) -> None:
        with client:
            body = self.body()
            answer = client.post("/webhook", content=body, headers={"X-Hub-Signature-256": self.signed(body)})
            assert answer.status_code == 502

    def test_the_secret_must_be_long(self) -> None:
        with pytest.raises(ValueError, match="at least 32"):
            FaqBotSettings(token=SecretStr("t"), secret=SecretStr("short"), faq_file=DEMO_FAQ)


class TestWhereTheMessageIs:
    def test_the_history_stops_before_the_webhooks_message(self) -> None:
        earlier = Message(direction="inbound", author_kind="guest", text="parking ?", at=START)
        answer = Message(direction="outbound", author_kind="bot", text="Non.", at=START)
        current = Message(direction="inbound", author_kind="guest", text="un conseiller", at=START)
        later = Message(direction="inbound", author_kind="guest", text="vite", at=START)
        messages = [earlier, answer, current, later]
        assert before(messages, GuestMessage(text="un conseiller", at=START + timedelta(seconds=1))) == [
            earlier,
            answer,
        ]
        assert before(messages, GuestMessage(text="pas encore là", at=START)) == messages


class TestMessageKeys:
    """The hub retries a webhook call until the bot answers 2xx: every message the bot posts for one call
    carries a key made of the call's delivery id, so the hub stores and sends it once."""

    async def answer(self, delivery_id: str, text: str = "Is there parking?") -> list[dict[str, object]]:
        """The bodies of the messages the bot posts for one webhook call, the hub played by a recorder."""
        posted: list[dict[str, object]] = []

        def hub(request: httpx.Request) -> httpx.Response:
            if request.method == "GET":
                conversation = {"id": "c1", "location_id": "paris-opera", "bot_active": True, "status": "open"}
                return httpx.Response(200, json=conversation)
            if request.url.path == "/api/v1/bot/conversations/c1/messages":
                posted.append(json.loads(request.content))
            return httpx.Response(201, json={})

        async with httpx.AsyncClient(base_url="http://hub", transport=httpx.MockTransport(hub)) as client:
            bot = FaqBot(Hub(client), FaqFile.load(DEMO_FAQ), SECRET)
            message = GuestMessage(text=text, at=START)
            hook = Webhook(event="message", delivery_id=delivery_id, conversation_id="c1", location_id="paris-opera")
            await bot.handle(hook.model_copy(update={"message": message}))
        return posted

    def test_the_key_is_the_delivery_id_and_the_messages_rank(self) -> None:
        assert message_key("d7", 1) == "d7:1"
        assert message_key("d7", 2) == "d7:2"

    async def test_a_retried_call_posts_its_answer_with_the_same_key(self) -> None:
        first = await self.answer("3f2a")
        retried = await self.answer("3f2a")
        assert [body["key"] for body in first] == ["3f2a:1"]
        assert retried == first
        assert [body["key"] for body in await self.answer("9c0d")] == ["9c0d:1"], "another call, another key"
