"""The satisfaction survey's pure parts: who is asked, the email and its links, the pages, the rating recorded
once, notify's survey email (no threading), the contact's summary and the widget's closing frame."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from services.contacts.ratings import summary
from services.inbox.surveys import decisions, emails, pages
from services.ingest.chat import to_guest_event
from services.notify import composer
from shared import tokens
from shared.bus import Channel, ChatToGuest, ConversationRated, OutboundKind, OutboundMessage

SECRET = "unit-test-secret"
AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
OPTED_IN = {"_id": "paris", "name": "Hôtel <Opéra>", "language": "fr", "survey_channels": ["email", "form", "chat"]}


def request(**fields: Any) -> dict[str, Any]:
    return {
        "_id": "c0ffee",
        "location_id": "paris",
        "version": 3,
        "channel": "email",
        "status": "closed",
        "subject": "Late check-in",
        "guest": {"name": "Anna", "email": "anna@example.com"},
        "contact_id": "k1",
        **fields,
    }


class TestWhoIsAsked:
    def test_a_closed_email_request_of_an_opted_in_hotel_is_emailed_to_its_guest(self) -> None:
        assert decisions.emailed_to(request(), OPTED_IN) == "anna@example.com"
        assert decisions.emailed_to(request(channel="form"), OPTED_IN) == "anna@example.com"

    @pytest.mark.parametrize(
        ("fields", "location"),
        [
            ({"status": "open"}, OPTED_IN),
            ({"status": "spam"}, OPTED_IN),
            ({"automatic": "auto_reply"}, OPTED_IN),
            ({"guest": {"name": "Anna"}}, OPTED_IN),
            ({"survey": {"rating": 5, "at": AT, "channel": "email"}}, OPTED_IN),
            ({"channel": "chat"}, OPTED_IN),
            ({"channel": "review"}, OPTED_IN),
            ({}, {**OPTED_IN, "survey_channels": ["chat", "form"]}),
            ({}, {**OPTED_IN, "survey_channels": []}),
            ({}, None),
        ],
    )
    def test_nobody_else_is(self, fields: dict[str, Any], location: dict[str, Any] | None) -> None:
        assert decisions.emailed_to(request(**fields), location) is None

    def test_a_chat_is_asked_in_the_widget_only_where_the_hotel_asks_chat_guests(self) -> None:
        chat = request(channel="chat", guest={})
        assert decisions.asked_in_chat(chat, OPTED_IN)
        assert not decisions.asked_in_chat(chat, {**OPTED_IN, "survey_channels": ["email"]})
        assert not decisions.asked_in_chat({**chat, "status": "spam"}, OPTED_IN)
        assert not decisions.asked_in_chat(request(), OPTED_IN)

    def test_the_guests_language_comes_first_then_the_hotels_then_french(self) -> None:
        assert decisions.language_of(request(language="en"), OPTED_IN) == "en"
        assert decisions.language_of(request(), {**OPTED_IN, "language": "en"}) == "en"
        assert decisions.language_of(request(language="de"), None) == "fr"


class TestTheToken:
    def test_it_names_the_request_and_a_forged_one_names_none(self) -> None:
        token = decisions.token_of("c0ffee", SECRET)
        assert decisions.conversation_of(token, SECRET) == "c0ffee"
        assert decisions.conversation_of(token, "another-secret") is None
        assert decisions.conversation_of(token[:-1] + ("0" if token[-1] != "0" else "1"), SECRET) is None
        assert decisions.conversation_of("c0ffee", SECRET) is None
        # A reply token of the same request is no survey token (another purpose).
        assert decisions.conversation_of(tokens.sign("reply", "c0ffee", SECRET), SECRET) is None


class TestTheOffer:
    def test_it_emails_five_links_once_by_its_key_from_the_hotel(self) -> None:
        change = decisions.offer(OPTED_IN, "https://hub.example/", SECRET)(request())
        outbound = change.outbound
        assert outbound is not None
        assert outbound.kind == OutboundKind.SURVEY
        assert outbound.channel == Channel.EMAIL
        assert outbound.to == ["anna@example.com"]
        assert outbound.in_reply_to is None
        assert not outbound.references
        assert outbound.reply_token is None
        token = decisions.token_of("c0ffee", SECRET)
        for rating in range(1, 6):
            assert f"https://hub.example/survey/{token}?rating={rating}" in outbound.text
        assert "rating=6" not in outbound.text
        assert "rating=0" not in outbound.text
        assert "Late check-in" in outbound.text
        assert outbound.language == "fr"
        assert [entry["key"] for entry in change.entries] == ["survey:c0ffee"]
        assert change.entries[0]["kind"] == "survey"
        assert change.event is None
        assert not change.set

    def test_nothing_for_a_request_not_to_be_asked(self) -> None:
        change = decisions.offer(OPTED_IN, "https://hub.example", SECRET)(request(status="open"))
        assert change.outbound is None
        assert not change.entries

    def test_the_english_email(self) -> None:
        text = emails.text("en", "Opera", "", decisions.links("https://h", "t.0"))
        assert text.startswith("Hello,")
        assert "Your request has been handled." in text
        assert text.count("https://h/survey/t.0?rating=") == 5
        assert emails.subject("en", "Opera") == "How did Opera do?"
        assert emails.subject("fr", "") == "Votre avis compte"


class TestTheRating:
    def test_it_is_recorded_once_with_its_event_and_entry(self) -> None:
        change = decisions.rate(4, AT)(request())
        assert change.set == {"survey": {"rating": 4, "at": AT, "channel": "email"}}
        assert isinstance(change.event, ConversationRated)
        assert (change.event.rating, change.event.channel, change.event.contact_id) == (4, "email", "k1")
        assert change.event.conversation_id == "c0ffee"
        assert change.event.version == 3
        assert change.entries[0]["kind"] == "rating"
        assert change.entries[0]["rating"] == 4
        assert change.entries[0]["author"]["type"] == "guest"
        rated = request(survey={"rating": 4, "at": AT, "channel": "email"})
        again = decisions.rate(1, AT)(rated)
        assert again.event is None
        assert not again.set
        assert not again.entries

    @pytest.mark.parametrize(
        ("given", "rating"),
        [("1", 1), ("5", 5), (" 3 ", 3), (2, 2), ("0", None), ("6", None), ("x", None), (None, None), ("", None)],
    )
    def test_only_1_to_5_is_a_rating(self, given: object, rating: int | None) -> None:
        assert decisions.rating_of(given) == rating

    def test_the_event_refuses_a_rating_out_of_range(self) -> None:
        with pytest.raises(ValueError, match="rating"):
            ConversationRated(conversation_id="c", location_id="paris", rating=6, channel="email")


class TestThePages:
    def test_the_choice_has_the_links_rating_chosen_and_posts_to_itself(self) -> None:
        page = pages.choice("fr", "Hôtel <Opéra>", 4)
        assert page.status == 200
        assert '<form method="post">' in page.html
        assert "action=" not in page.html
        assert page.html.count('type="radio"') == 5
        assert 'value="4" required checked' in page.html
        assert page.html.count("checked") == 1
        assert "<Opéra>" not in page.html
        assert "Hôtel &lt;Opéra&gt;" in page.html
        assert "<script" not in page.html
        assert 'lang="fr"' in page.html
        assert "Envoyer ma note" in page.html

    def test_the_other_pages_say_what_happened_with_their_status(self) -> None:
        assert pages.thanks("en", "Opera", 5).status == 200
        assert "5/5" in pages.thanks("en", "Opera", 5).html
        assert pages.already_rated("en", "Opera").status == 409
        assert "already" in pages.already_rated("en", "Opera").html
        assert pages.unknown("fr").status == 404
        assert pages.choice("en", "", None, error=True).status == 422
        assert 'role="alert"' in pages.choice("en", "", None, error=True).html

    def test_the_headers_allow_no_script_and_a_post_to_its_own_origin(self) -> None:
        csp = pages.PAGE_HEADERS["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert "form-action 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "script-src" not in csp
        assert pages.PAGE_HEADERS["Cache-Control"] == "no-store"

    @pytest.mark.parametrize(
        ("header", "language"), [("fr-FR,fr;q=0.9", "fr"), ("en-GB", "en"), ("de, fr;q=0.5", "fr"), (None, "en")]
    )
    def test_a_page_without_a_hotel_speaks_the_readers_language(self, header: str | None, language: str) -> None:
        assert pages.accepted_language(header) == language


class TestNotifysSurveyEmail:
    def test_it_is_a_new_email_from_the_hotel_not_a_reply_in_the_thread(self) -> None:
        envelope = composer.Envelope("Hôtel Opéra", "frontdesk@opera.example", "reply.hub.test", "https://hub.example")
        message = OutboundMessage(
            key="survey:c0ffee",
            kind=OutboundKind.SURVEY,
            channel=Channel.EMAIL,
            conversation_id="c0ffee",
            location_id="paris",
            to=["anna@example.com"],
            subject="Votre avis compte",
            text="Note : https://hub.example/survey/c0ffee.0123456789abcdef0123?rating=5",
            in_reply_to="m1@guest.example",  # even given, a survey is not threaded
            references=["m0@guest.example"],
        )
        email = message_from_bytes(composer.as_bytes(composer.compose(message, envelope, [])), policy=policy.default)
        assert isinstance(email, EmailMessage)
        assert email["In-Reply-To"] is None
        assert email["References"] is None
        assert email["Reply-To"] is None
        assert str(email["Subject"]).startswith("Votre avis compte")
        assert not str(email["Subject"]).startswith("Re:")
        assert "frontdesk@opera.example" in str(email["From"])
        body = email.get_body(("html",))
        assert body is not None
        assert 'href="https://hub.example/survey/c0ffee.0123456789abcdef0123?rating=5"' in body.get_content()


class TestTheContactsSummary:
    def test_last_count_and_average(self) -> None:
        rated: list[dict[str, Any]] = [
            {"rating": 5, "rated_at": AT},
            {"rating": 2, "rated_at": AT + timedelta(days=1)},
            {"rating": 4, "rated_at": AT - timedelta(days=1)},
            {"rated_at": AT},  # not rated
        ]
        assert summary(rated) == {"last": 2, "last_at": AT + timedelta(days=1), "count": 3, "average": 3.67}
        assert summary([]) is None


class TestTheWidgetsClosingFrame:
    def test_it_carries_the_survey_token_only_when_the_hotel_asks(self) -> None:
        asked = ChatToGuest(key="entry:1", session_id="s1", kind="closed", survey_token="c0ffee.abc", at=AT)
        assert to_guest_event(asked, "paris") == {"type": "closed", "at": AT.isoformat(), "survey": "c0ffee.abc"}
        plain = ChatToGuest(key="entry:1", session_id="s1", kind="closed", at=AT)
        assert "survey" not in to_guest_event(plain, "paris")
