"""The conversation state machine (DESIGN.md section 5), rule by rule."""

import pytest

from services.inbox.conversations import states
from services.inbox.conversations.states import IllegalTransitionError, Status


class TestAgentStatus:
    @pytest.mark.parametrize(
        ("current", "target"),
        [
            (Status.OPEN, Status.ON_HOLD),
            (Status.OPEN, Status.CLOSED),
            (Status.ON_HOLD, Status.OPEN),
            (Status.ON_HOLD, Status.CLOSED),
            (Status.CLOSED, Status.OPEN),
            (Status.CLOSED, Status.ON_HOLD),
        ],
    )
    def test_allowed_moves(self, current: Status, target: Status) -> None:
        assert states.agent_sets_status(current, target) == target

    def test_same_status_is_a_no_op(self) -> None:
        assert states.agent_sets_status(Status.OPEN, Status.OPEN) == Status.OPEN

    @pytest.mark.parametrize("target", [Status.OPEN, Status.ON_HOLD, Status.CLOSED])
    def test_spam_is_left_only_through_not_spam(self, target: Status) -> None:
        with pytest.raises(IllegalTransitionError, match="not spam"):
            states.agent_sets_status(Status.SPAM, target)
        assert states.mark_not_spam(Status.SPAM) == Status.OPEN

    def test_spam_is_its_own_action(self) -> None:
        with pytest.raises(IllegalTransitionError):
            states.agent_sets_status(Status.OPEN, Status.SPAM)
        assert states.mark_spam(Status.CLOSED) == Status.SPAM
        with pytest.raises(IllegalTransitionError):
            states.mark_spam(Status.SPAM)
        with pytest.raises(IllegalTransitionError):
            states.mark_not_spam(Status.OPEN)


class TestGuestAndReplies:
    @pytest.mark.parametrize(
        ("current", "after"),
        [
            (Status.OPEN, Status.OPEN),
            (Status.ON_HOLD, Status.OPEN),
            (Status.CLOSED, Status.OPEN),
            (Status.SPAM, Status.SPAM),
        ],
    )
    def test_guest_writing_again(self, current: Status, after: Status) -> None:
        assert states.guest_writes(current) == after

    @pytest.mark.parametrize(
        ("spam", "automatic", "status"),
        [
            (False, False, Status.OPEN),
            (True, False, Status.SPAM),
            (False, True, Status.CLOSED),
            (True, True, Status.SPAM),
        ],
    )
    def test_a_new_request_opened_by_an_automatic_reply_is_closed(
        self, spam: bool, automatic: bool, status: Status
    ) -> None:
        """Issue 20: kept and findable, never a request asking for an answer."""
        assert states.new_request(spam=spam, automatic=automatic) == status

    def test_agent_reply_reopens_on_hold_only(self) -> None:
        assert states.agent_replies(Status.ON_HOLD) == Status.OPEN
        assert states.agent_replies(Status.OPEN) == Status.OPEN
        assert states.agent_replies(Status.CLOSED) == Status.CLOSED
        with pytest.raises(IllegalTransitionError):
            states.agent_replies(Status.SPAM)

    def test_closing_a_chat_picks_open_on_hold_or_closed(self) -> None:
        assert states.close_chat(Status.OPEN, Status.ON_HOLD) == Status.ON_HOLD
        with pytest.raises(IllegalTransitionError):
            states.close_chat(Status.OPEN, Status.SPAM)


class TestChatbot:
    def test_people_take_over_and_closing_gives_back(self) -> None:
        assert states.bot_active_after(Status.OPEN, True, has_bot=True) is False
        assert states.bot_active_after(Status.ON_HOLD, True, has_bot=True) is False
        assert states.bot_active_after(Status.CLOSED, False, has_bot=True) is True
        assert states.bot_active_after(Status.CLOSED, False, has_bot=False) is False


class TestViews:
    def test_inbox_buckets(self) -> None:
        new = {"status": "open", "unread": True, "alert": False}
        assert states.view_keys(new) == {"all", "status_open", "inbox", "unread", "bucket_new", "awaiting"}
        alert = {"status": "open", "unread": False, "alert": True}
        assert "bucket_alerts" in states.view_keys(alert)
        held = {"status": "on_hold", "unread": False, "alert": True}
        assert states.view_keys(held) == {"all", "status_on_hold", "inbox", "bucket_on_hold"}

    def test_closed_and_spam_are_outside_the_inbox(self) -> None:
        assert states.view_keys({"status": "closed", "unread": True}) == {"all", "status_closed"}
        assert states.view_keys({"status": "spam"}) == {"all", "status_spam"}

    def test_bot_handled_shows_only_under_all(self) -> None:
        assert states.view_keys({"status": "open", "bot_active": True, "unread": True}) == {"all"}
        assert states.view_keys({"status": "closed", "bot_active": True}) == {"all", "status_closed"}
