"""Automatic review replies, the pure part: which rule answers a review, in which language and words, and
what each step does to the request (services/inbox/autoreplies/service.py)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.inbox.autoreplies import service
from services.inbox.autoreplies.schemas import Approval, RuleIn
from services.inbox.conversations import decisions, schemas
from shared.auth import Actor
from shared.bus import Channel
from shared.problems import Problem

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def rule(rule_id: str = "r1", **fields: Any) -> dict[str, Any]:
    return {
        "_id": rule_id,
        "min_rating": 1,
        "max_rating": 5,
        "templates": {"fr": "Merci {guest_first_name} !"},
        **fields,
    }


def review(**fields: Any) -> service.NewReview:
    values: dict[str, Any] = {
        "location_id": "opera",
        "platform": "google",
        "rating": 5,
        "has_text": True,
        "language": None,
        "guest_name": "Jeanne Martin",
    }
    return service.NewReview(**(values | fields))


def conversation(**fields: Any) -> dict[str, Any]:
    return {
        "_id": "c1",
        "location_id": "opera",
        "version": 3,
        "channel": Channel.REVIEW.value,
        "status": "open",
        "thread_key": "opera|review:google:accounts/1/locations/2/reviews/3",
        **fields,
    }


class TestMatching:
    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            ({}, True),
            ({"platform": "google"}, True),
            ({"platform": "tripadvisor"}, False),
            ({"min_rating": 4}, True),
            ({"max_rating": 4}, False),
            ({"with_text": True}, True),
            ({"with_text": False}, False),
        ],
    )
    def test_a_rule_matches_on_platform_rating_and_text(self, fields: dict[str, Any], expected: bool) -> None:
        assert service.matches(rule(**fields), review()) is expected

    def test_a_rating_only_review_matches_a_rule_for_reviews_without_text(self) -> None:
        assert service.matches(rule(with_text=False), review(has_text=False))
        assert not service.matches(rule(with_text=True), review(has_text=False))

    def test_a_review_without_rating_matches_nothing(self) -> None:
        assert not service.matches(rule(), review(rating=None))

    def test_the_hotels_own_rules_replace_the_chain_wide_ones(self) -> None:
        chain = rule("chain", location_id=None)
        own_for_bad = rule("own", location_id="opera", max_rating=2)
        assert service.choose([chain, own_for_bad], review(rating=5)) is None
        assert service.choose([chain, own_for_bad], review(rating=1))["_id"] == "own"  # type: ignore[index]
        assert service.choose([chain, rule("other", location_id="louvre")], review())["_id"] == "chain"  # type: ignore[index]

    def test_the_first_matching_rule_wins(self) -> None:
        rules = [rule("a", location_id="opera", platform="tripadvisor"), rule("b", location_id="opera"), rule("c")]
        assert service.choose(rules, review())["_id"] == "b"  # type: ignore[index]


class TestRendering:
    def test_the_reviews_language_else_the_hotels_else_the_other(self) -> None:
        both = rule(templates={"fr": "Merci", "en": "Thank you"})
        assert service.language_of(both, review(language="en-GB"), "fr") == "en"
        assert service.language_of(both, review(language="de"), "fr") == "fr"
        assert service.language_of(rule(templates={"en": "Thanks"}), review(language="fr"), "fr") == "en"

    def test_the_guests_name_and_the_hotel_fill_the_template(self) -> None:
        words = rule(
            templates={"fr": "Bonjour {guest_first_name|Madame, Monsieur}, l'équipe de {hotel_name} vous remercie."}
        )
        assert (
            service.render(words, review(), "Hôtel Opéra", "fr")
            == "Bonjour Jeanne, l'équipe d'Hôtel Opéra vous remercie."
        )
        nameless = service.render(words, review(guest_name=""), "Hôtel Opéra", "fr")
        assert nameless.startswith("Bonjour Madame, Monsieur,")

    def test_a_rule_needs_a_template_and_ratings_in_order(self) -> None:
        with pytest.raises(ValueError, match="templates"):
            RuleIn.model_validate({"name": "x", "templates": {}})
        with pytest.raises(ValueError, match="min_rating"):
            RuleIn.model_validate({"name": "x", "templates": {"fr": "Merci"}, "min_rating": 5, "max_rating": 2})


class TestLifecycle:
    def test_scheduled_once_with_its_delay(self) -> None:
        change = service.schedule(rule(delay_minutes=30), "Merci !", NOW)(conversation())
        assert change.set["auto_reply"]["state"] == "scheduled"
        assert change.set["auto_reply"]["due_at"] == NOW + timedelta(minutes=30)
        assert change.entries[0]["kind"] == "auto_reply"
        again = service.schedule(rule(), "Merci !", NOW)(conversation(auto_reply=change.set["auto_reply"]))
        assert not again.set
        assert not again.entries
        answered = service.schedule(rule(), "Merci !", NOW)(conversation(first_response_at=NOW))
        assert not answered.set

    def test_the_sweep_sends_only_what_is_due_and_needs_no_approval(self) -> None:
        due = {"state": "scheduled", "text": "Merci !", "due_at": NOW - timedelta(seconds=1), "needs_approval": False}
        later = {**due, "due_at": NOW + timedelta(minutes=1)}
        waiting = {**due, "state": "waiting_approval", "needs_approval": True}
        assert not service.send(None, NOW)(conversation(auto_reply=later)).entries
        assert not service.send(None, NOW)(conversation(auto_reply=waiting)).entries
        change = service.send(None, NOW)(conversation(auto_reply=due))
        reply = change.entries[0]
        assert (reply["public"], reply["text"], reply["author"]["type"]) == (True, "Merci !", "automatic")
        assert change.outbound is not None
        assert change.outbound.review is not None
        assert change.outbound.review.review_id == "accounts/1/locations/2/reviews/3"
        assert change.set["auto_reply"]["state"] == "sent"

    def test_an_agent_approves_with_the_text_they_edited(self) -> None:
        waiting = {"state": "waiting_approval", "text": "Merci !", "due_at": NOW, "needs_approval": True}
        agent = Actor(
            agent_id="a1", name="Anna", initials="A", email="anna@example.com", role="agent", location_ids=["opera"]
        )
        stored = {"platform": "google", "review_id": "accounts/9/locations/9/reviews/9"}
        change = service.send(stored, NOW, Approval(text="Merci beaucoup !"), agent)(conversation(auto_reply=waiting))
        assert change.entries[0]["text"] == "Merci beaucoup !"
        assert change.entries[0]["author"]["approved_by"] == "Anna"
        assert change.outbound is not None
        assert change.outbound.review is not None
        assert change.outbound.review.review_id == "accounts/9/locations/9/reviews/9"
        with pytest.raises(Problem, match="no automatic reply waiting"):
            service.send(stored, NOW, Approval(), agent)(conversation(auto_reply={**waiting, "state": "sent"}))

    def test_discarded_never_sent(self) -> None:
        waiting = {"state": "waiting_approval", "text": "Merci !", "due_at": NOW, "needs_approval": True}
        change = service.drop(conversation(auto_reply=waiting))
        assert change.set["auto_reply"]["state"] == "discarded"
        assert not service.send(None, NOW)(conversation(auto_reply=change.set["auto_reply"])).entries


class TestPublicReplies:
    """The public reply decision both an agent and an automatic reply go through (conversations/decisions.py)."""

    @pytest.mark.parametrize(
        ("via", "channel", "connected", "expected"),
        [
            (None, "review", True, True),
            (None, "review", False, False),
            ("email", "review", True, False),
            ("public", "review", False, True),
            (None, "email", True, False),
        ],
    )
    def test_public_by_default_for_a_review_of_a_connected_platform(
        self, via: str | None, channel: str, connected: bool, expected: bool
    ) -> None:
        request = schemas.Reply.model_validate({"text": "Thanks", "via": via})
        assert decisions.wants_public(request, conversation(channel=channel), connected) is expected

    def test_the_review_is_named_by_its_stored_id_else_by_its_thread(self) -> None:
        stored = decisions.review_target(conversation(), {"platform": "google", "review_id": "accounts/a/reviews/b"})
        assert stored is not None
        assert stored.review_id == "accounts/a/reviews/b"
        from_thread = decisions.review_target(conversation(), None)
        assert from_thread is not None
        assert (from_thread.platform, from_thread.review_id) == ("google", "accounts/1/locations/2/reviews/3")
        assert decisions.review_target(conversation(channel="email", thread_key="opera|msgid:x"), None) is None

    def test_only_a_review_is_answered_publicly(self) -> None:
        with pytest.raises(Problem, match="Only a review"):
            decisions.public_reply("Thanks", None, "Anna")(conversation(channel="email"))

    def test_an_agents_public_reply_is_pending_and_cancels_the_automatic_one(self) -> None:
        waiting = {"state": "waiting_approval", "text": "Merci !", "due_at": NOW, "needs_approval": True}
        target = decisions.review_target(conversation(), None)
        change = decisions.public_reply("Thank you!", target, "Anna")(conversation(auto_reply=waiting))
        reply, cancelled = change.entries
        assert (reply["public"], reply["delivery"], reply["channel"]) == (True, {"state": "pending"}, "review")
        assert "author" not in reply, "the agent who acted signs it"
        assert cancelled == {"kind": "auto_reply", "state": "cancelled", "reason": "agent_replied"}
        assert change.set["auto_reply"]["state"] == "cancelled"
        assert change.outbound is not None
        assert (change.outbound.channel, change.outbound.text) == (Channel.REVIEW, "Thank you!")
