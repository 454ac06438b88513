"""A chat request is titled by what the guest first wrote, not "Chat" (issue 21): pure rules of the
conversation service, without servers."""

import pytest

from services.inbox.conversations.service import CHAT_TITLE_LENGTH, chat_title, opening_subject
from shared.bus import Channel, Guest, InboundMessage, ThreadHints


def message(channel: Channel, text: str, subject: str) -> InboundMessage:
    return InboundMessage(
        key="k1",
        channel=channel,
        location_id="opera",
        guest=Guest(),
        subject=subject,
        text=text,
        thread=ThreadHints(chat_session_id="s1" if channel is Channel.CHAT else None),
    )


class TestChatTitle:
    def test_a_short_message_is_the_title_on_one_line(self) -> None:
        assert chat_title("  Do you have\n a parking?  ") == "Do you have a parking?"

    def test_a_long_message_is_cut_after_a_whole_word(self) -> None:
        text = "Hello, we arrive on Friday around midnight with two children and a dog, is that fine?"
        title = chat_title(text)
        assert title == "Hello, we arrive on Friday around midnight with two children…"
        assert len(title) <= CHAT_TITLE_LENGTH + 1
        assert text.startswith(title.removesuffix("…"))

    def test_a_word_ending_exactly_at_the_limit_stays_whole(self) -> None:
        text = "x" * (CHAT_TITLE_LENGTH - 5) + " abcd more words"
        assert chat_title(text) == "x" * (CHAT_TITLE_LENGTH - 5) + " abcd…"

    def test_one_long_word_is_cut_inside(self) -> None:
        link = "https://example.com/" + "a" * 100
        assert chat_title(link) == link[:CHAT_TITLE_LENGTH] + "…"

    @pytest.mark.parametrize("text", ["", "   \n "])
    def test_nothing_written_gives_no_title(self, text: str) -> None:
        assert chat_title(text) == ""


class TestOpeningSubject:
    def test_a_chat_is_titled_by_its_first_message(self) -> None:
        assert opening_subject(message(Channel.CHAT, "Is breakfast included?", "Chat")) == "Is breakfast included?"

    def test_a_chat_without_text_keeps_the_channels_subject(self) -> None:
        assert opening_subject(message(Channel.CHAT, " ", "Chat")) == "Chat"

    def test_other_channels_keep_their_subject(self) -> None:
        assert opening_subject(message(Channel.FORM, "Is breakfast included?", "Breakfast")) == "Breakfast"

    def test_a_chat_with_a_subject_of_its_own_keeps_it(self) -> None:
        assert opening_subject(message(Channel.CHAT, "Hello", "Late check-out")) == "Late check-out"
