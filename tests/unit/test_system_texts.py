"""Texts the hub writes itself (issue 21): stored as a key and values beside their English, which the console
renders in its reader's language. Pure rules, without servers: the catalogue, what ingest publishes, what the
inbox stores, and what an agent's edit or an erasure leaves of them."""

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.contacts.history import project
from services.contacts.settings import DEFAULT_ATTRIBUTES
from services.inbox.conversations import decisions, schemas
from services.inbox.conversations.service import system_snippet, system_subject, system_text
from services.inbox.privacy.service import ERASED, redacted
from services.ingest import service as ingest
from services.ingest.schemas import Call, Review
from shared import system_texts
from shared.bus import (
    CHAT_SUBJECT,
    Channel,
    ConversationCreated,
    ConversationUpdated,
    Guest,
    InboundMessage,
    ThreadHints,
)
from shared.system_texts import NO_TEXT, SystemText, call_subject, call_text, review_subject

SCRIPTS = Path(__file__).resolve().parents[2] / "services" / "inbox" / "console" / "js"
I18N = SCRIPTS / "i18n.js"


def console_messages(language: str) -> dict[str, str]:
    """The console's one-form messages of a language, by key."""
    block = re.search(rf"\n  {language}: \{{(.*?)\n  \}},", I18N.read_text(), re.DOTALL)
    assert block, f"no {language} messages in i18n.js"
    return dict(re.findall(r'"([a-z_]+\.[a-z_.]+)": "((?:[^"\\]|\\.)*)"', block.group(1)))


class TestCatalogue:
    @pytest.mark.parametrize(
        ("text", "english"),
        [
            (call_text("missed", "+33 1 23 45 67 89", 0, None), "Missed call from +33 1 23 45 67 89, 0 min 00 s."),
            (call_text("inbound", "0612345678", 125, None), "Inbound call from 0612345678, 2 min 05 s."),
            (
                call_text("outbound", "0612345678", 3600, "https://calls.example/r.mp3"),
                "Outbound call from 0612345678, 60 min 00 s.\nRecording: https://calls.example/r.mp3",
            ),
            (call_subject("0612345678"), "Call from 0612345678"),
            (NO_TEXT, "(no text)"),
            (system_texts.RATING_ONLY, "(rating only)"),
            (review_subject("tripadvisor"), "tripadvisor review"),
        ],
    )
    def test_the_english_is_the_text_stored_before_keys(self, text: SystemText, english: str) -> None:
        assert text.english() == english

    def test_a_value_is_put_in_never_read_as_a_template(self) -> None:
        assert review_subject("{caller}").english() == "{caller} review"

    def test_a_call_keeps_its_length_in_seconds_for_the_reader_to_format(self) -> None:
        assert call_text("missed", "0612345678", 7, None).values == {"caller": "0612345678", "duration_seconds": 7}


class TestConsoleCatalogue:
    @pytest.mark.parametrize("language", ["en", "fr"])
    def test_the_console_knows_every_key(self, language: str) -> None:
        known = console_messages(language)
        assert {f"text.{key}" for key in system_texts.ENGLISH} - set(known) == set()
        assert "text.duration" in known

    def test_the_console_s_english_is_the_stored_english(self) -> None:
        english = console_messages("en")
        for key, text in system_texts.ENGLISH.items():
            assert english[f"text.{key}"] == text, key
        assert english["text.duration"].format(minutes=2, seconds="05") == system_texts.duration(125)

    def test_french_is_french(self) -> None:
        french = console_messages("fr")
        assert french["text.call.missed"] == "Appel manqué de {caller}, {duration}."
        assert french["text.message.no_text"] == "(sans texte)"

    @pytest.mark.parametrize("language", ["en", "fr"])
    def test_every_default_attribute_has_a_label(self, language: str) -> None:
        known = console_messages(language)
        names = {*DEFAULT_ATTRIBUTES, "customer_id"}  # the import's key, kept among the attributes
        assert {f"attribute.{name}" for name in names} - set(known) == set()


class FakeRuntime:
    """A runtime nobody reads: `_publish`, the one place a message leaves ingest, is replaced by a list."""


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[InboundMessage]:
    sent: list[InboundMessage] = []

    async def publish(_runtime: Any, message: InboundMessage) -> None:
        sent.append(message)

    monkeypatch.setattr(ingest, "_publish", publish)
    return sent


class TestIngest:
    async def test_a_missed_call_is_published_with_its_keys_and_its_english(
        self, published: list[InboundMessage]
    ) -> None:
        call = Call(call_id="c1", location="opera", caller="+33 1 23 45 67 89", direction="missed")
        await ingest.accept_call(FakeRuntime(), call)  # type: ignore[arg-type]
        [message] = published
        assert (message.subject, message.subject_key) == ("Call from +33 1 23 45 67 89", "call.subject")
        assert message.subject_values == {"caller": "+33 1 23 45 67 89"}
        assert (message.text, message.text_key) == ("Missed call from +33 1 23 45 67 89, 0 min 00 s.", "call.missed")
        assert message.text_values == {"caller": "+33 1 23 45 67 89", "duration_seconds": 0}

    async def test_a_review_s_own_words_carry_no_key(self, published: list[InboundMessage]) -> None:
        await ingest.accept_review(FakeRuntime(), Review(platform="google", review_id="r1", location="opera", rating=4))  # type: ignore[arg-type]
        worded = Review(platform="google", review_id="r2", location="opera", rating=2, title="Noisy", text="Loud.")
        await ingest.accept_review(FakeRuntime(), worded)  # type: ignore[arg-type]
        bare, own = published
        assert (bare.subject_key, bare.subject_values, bare.text_key) == (
            "review.subject",
            {"platform": "google"},
            "review.rating_only",
        )
        assert (own.subject, own.subject_key, own.text, own.text_key) == ("Noisy", None, "Loud.", None)


def inbound(channel: Channel = Channel.PHONE, **fields: Any) -> InboundMessage:
    text = call_text("missed", "0612345678", 0, None)
    subject = call_subject("0612345678")
    base: dict[str, Any] = {
        "key": "call:opera:c1",
        "channel": channel,
        "location_id": "opera",
        "guest": Guest(phone="0612345678"),
        "subject": subject.english(),
        "subject_key": subject.key,
        "subject_values": subject.values,
        "text": text.english(),
        "text_key": text.key,
        "text_values": text.values,
        "thread": ThreadHints(chat_session_id="s1" if channel is Channel.CHAT else None),
    }
    return InboundMessage(**(base | fields))


class TestInbox:
    def test_a_call_s_entry_and_request_keep_the_keys(self) -> None:
        message = inbound()
        assert system_text(message) == {
            "subject_key": "call.subject",
            "subject_values": {"caller": "0612345678"},
            "text_key": "call.missed",
            "text_values": {"caller": "0612345678", "duration_seconds": 0},
        }
        assert system_subject(message) == {"subject_key": "call.subject", "subject_values": {"caller": "0612345678"}}
        assert system_snippet(message) == {"snippet_key": "call.missed", "snippet_values": message.text_values}

    def test_a_guest_s_words_store_no_key_and_clear_the_snippet_s(self) -> None:
        message = inbound(
            subject="Hello", subject_key=None, subject_values={}, text="Hi", text_key=None, text_values={}
        )
        assert system_text(message) == {}
        assert system_subject(message) == {}
        assert system_snippet(message) == {"snippet_key": None, "snippet_values": {}}

    def test_a_chat_titled_by_the_guest_s_words_has_no_subject_key(self) -> None:
        # Were "Chat" ever keyed, a chat's request is still titled by the guest's words, which have no key.
        words: dict[str, Any] = {"text": "Is the spa open?", "text_key": None, "text_values": {}}
        message = inbound(Channel.CHAT, subject=CHAT_SUBJECT, subject_key="chat.subject", subject_values={}, **words)
        assert system_subject(message) == {}

    def test_an_agent_s_subject_replaces_the_hub_s(self) -> None:
        document = {"_id": "c1", "location_id": "opera", "subject": "Call from 06", "subject_key": "call.subject"}
        change = decisions.update(schemas.Update(subject="Booking by phone"), None)(document)
        assert change.set == {"subject": "Booking by phone", "subject_key": None, "subject_values": {}}

    def test_an_erasure_strips_the_caller_s_number_from_the_values(self) -> None:
        entry = {"kind": "message", **system_text(inbound()), "text": "Missed call from 0612345678, 0 min 00 s."}
        assert redacted(entry) == {
            "text": ERASED,
            "subject_key": None,
            "subject_values": {},
            "text_key": None,
            "text_values": {},
        }


class History:
    """The contacts repository's part that the history projection writes to."""

    def __init__(self) -> None:
        self.requests: dict[str, dict[str, Any]] = {}

    async def open_request(self, document: dict[str, Any]) -> None:
        self.requests.setdefault(document["_id"], document)

    async def set_if_newer(self, conversation_id: str, field: str, value: Any, at: datetime) -> None:
        self.requests[conversation_id][field] = value


class TestContactsHistory:
    async def test_a_guest_s_other_requests_keep_the_hub_s_subject_until_an_agent_renames_it(self) -> None:
        history, at = History(), datetime(2026, 12, 3, tzinfo=UTC)
        about = {"conversation_id": "c1", "location_id": "opera", "version": 1, "occurred_at": at}
        created = ConversationCreated(
            **about,
            channel=Channel.PHONE,
            contact_id="k1",
            subject="Call from 06",
            subject_key="call.subject",
            subject_values={"caller": "06"},
        )
        await project(history, created)  # type: ignore[arg-type]
        assert history.requests["c1"]["subject_key"] == "call.subject"
        assert history.requests["c1"]["subject_values"] == {"caller": "06"}
        await project(history, ConversationUpdated(**about, subject="Table for two"))  # type: ignore[arg-type]
        assert (history.requests["c1"]["subject"], history.requests["c1"]["subject_key"]) == ("Table for two", None)


# The console's rendering, run by Node on the console's own modules (no browser, no DOM needed).
RENDER = """
globalThis.document = { documentElement: {} };  // setLanguage sets the page's lang
const i18n = await import(%(i18n)s);
const texts = await import(%(texts)s);
const seen = {};
for (const lang of ["fr", "en"]) {
  i18n.setLanguage(lang);
  seen[lang] = {
    recorded: texts.systemText("call.inbound",
      { caller: "06", duration_seconds: 125, recording_url: "https://r/1" }, "x"),
    review: texts.systemText("review.subject", { platform: "hotels_com" }, "x"),
    unknown: texts.systemText("call.teleported", { caller: "06" }, "stored English"),
    none: texts.systemText(null, {}, "the guest's words"),
    snippet: texts.conversationSnippet({ snippet: "…", snippet_key: "call.inbound",
      snippet_values: { caller: "06", duration_seconds: 5, recording_url: "u" } }),
    parties: [0, 1, 2].map((n) => i18n.t("entry.reservation", { kind: "Spa", date: "d", party: n, count: n })),
    labels: [texts.attributeLabel("loyalty_tier"), texts.attributeLabel("favourite_colour")],
  };
}
console.log(JSON.stringify(seen));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
def test_the_console_renders_keys_in_its_language_and_falls_back_to_the_stored_text() -> None:
    script = RENDER % {"i18n": json.dumps(I18N.as_uri()), "texts": json.dumps((SCRIPTS / "texts.js").as_uri())}
    node = shutil.which("node")
    assert node
    done = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout)
    assert seen["fr"] == {
        "recorded": "Appel entrant de 06, 2 min 05 s.\nEnregistrement : https://r/1",
        "review": "Avis Hotels.com",
        "unknown": "stored English",
        "none": "the guest's words",
        "snippet": "Appel entrant de 06, 0 min 05 s. Enregistrement : u",
        "parties": [
            "Réservation : Spa, d, 0 personne",
            "Réservation : Spa, d, 1 personne",
            "Réservation : Spa, d, 2 personnes",
        ],
        "labels": ["Niveau de fidélité", "Favourite colour"],
    }
    assert seen["en"]["recorded"] == "Inbound call from 06, 2 min 05 s.\nRecording: https://r/1"
    assert seen["en"]["parties"] == [
        "Reservation: Spa, d, 0 people",
        "Reservation: Spa, d, 1 person",
        "Reservation: Spa, d, 2 people",
    ]
    assert seen["en"]["labels"] == ["Loyalty tier", "Favourite colour"]
