"""Which thread an inbound message belongs to, computed the same on every replica."""

from services.inbox.conversations.threading import email_ref, lookup_for
from shared.bus import Channel, Guest, InboundMessage, ThreadHints


def message(channel: Channel = Channel.EMAIL, key: str = "k", **hints: object) -> InboundMessage:
    return InboundMessage(
        key=key, channel=channel, location_id="paris", guest=Guest(), text="x", thread=ThreadHints.model_validate(hints)
    )


def test_email_replies_share_the_root_of_references() -> None:
    root = lookup_for(message(message_id="<A@x>"))
    reply = lookup_for(message(message_id="b@x", in_reply_to=["a@x"], references=["a@x"]))
    late = lookup_for(message(message_id="c@x", in_reply_to=["b@x"], references=["A@x", "b@x"]))
    assert root.new_thread_key == reply.new_thread_key == late.new_thread_key == email_ref("a@x")
    assert late.references[0] == email_ref("b@x"), "the direct parent is tried first"


def test_chat_review_and_form() -> None:
    assert lookup_for(message(Channel.CHAT, chat_session_id="s1")).new_thread_key == "chat:s1"
    assert lookup_for(message(Channel.REVIEW, review_id="g:9")).references == ["review:g:9"]
    form = lookup_for(message(Channel.FORM, key="form:paris:1"))
    assert (form.references, form.new_thread_key) == ([], "form:paris:1")
