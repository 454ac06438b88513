"""Which thread an inbound message belongs to, computed the same on every replica, within its hotel."""

from services.inbox.conversations.threading import email_ref, legacy_email_ref, lookup_for
from shared.bus import Channel, Guest, InboundMessage, ThreadHints


def message(
    channel: Channel = Channel.EMAIL, key: str = "k", location_id: str = "paris", **hints: object
) -> InboundMessage:
    return InboundMessage(
        key=key,
        channel=channel,
        location_id=location_id,
        guest=Guest(),
        text="x",
        thread=ThreadHints.model_validate(hints),
    )


def test_email_replies_share_the_root_of_references() -> None:
    root = lookup_for(message(message_id="<A@x>"))
    reply = lookup_for(message(message_id="b@x", in_reply_to=["a@x"], references=["a@x"]))
    late = lookup_for(message(message_id="c@x", in_reply_to=["b@x"], references=["A@x", "b@x"]))
    assert root.new_thread_key == reply.new_thread_key == late.new_thread_key == email_ref("paris", "a@x")
    assert late.references[0] == email_ref("paris", "b@x"), "the direct parent is tried first"


def test_every_key_names_the_hotel() -> None:
    here = lookup_for(message(message_id="b@x", in_reply_to=["a@x"]))
    there = lookup_for(message(message_id="b@x", in_reply_to=["a@x"], location_id="nice"))
    assert not set(here.own_references) & set(there.own_references)
    assert here.new_thread_key != there.new_thread_key
    assert here.location_id == "paris"
    assert there.location_id == "nice"
    review_here = lookup_for(message(Channel.REVIEW, review_id="g:9"))
    review_there = lookup_for(message(Channel.REVIEW, review_id="g:9", location_id="nice"))
    assert review_here.new_thread_key != review_there.new_thread_key


def test_references_stored_before_they_named_the_hotel_are_still_tried_last() -> None:
    reply = lookup_for(message(message_id="b@x", in_reply_to=["a@x"]))
    assert reply.references == [email_ref("paris", "a@x"), legacy_email_ref("a@x")]
    assert lookup_for(message(Channel.REVIEW, review_id="g:9")).references == ["paris|review:g:9", "review:g:9"]


def test_chat_review_and_form() -> None:
    assert lookup_for(message(Channel.CHAT, chat_session_id="s1")).new_thread_key == "paris|chat:s1"
    assert lookup_for(message(Channel.REVIEW, review_id="g:9")).new_thread_key == "paris|review:g:9"
    form = lookup_for(message(Channel.FORM, key="form:paris:1"))
    assert (form.references, form.new_thread_key) == ([], "form:paris:1")
