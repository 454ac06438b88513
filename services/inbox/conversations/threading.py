"""Which conversation an inbound message belongs to.

Email threads by its headers against every Message-ID the conversation has seen or sent, then by
the signed reply token in the recipient address; chat by session; a review by its id; a call by
the caller's number; a web form always opens a new request. When nothing known matches, the
thread key is derived from the message itself so that every replica computes the same key for
messages of one thread: an email thread's key is its root Message-ID (the first of References),
whichever message arrives first.
"""

from dataclasses import dataclass

from shared.bus import Channel, InboundMessage


@dataclass(frozen=True)
class ThreadLookup:
    """Known references to try, in order, then the key of a new thread if none is known."""

    references: list[str]
    new_thread_key: str
    own_references: list[str]  # to record, so later messages of this thread find it


def email_ref(message_id: str) -> str:
    return f"msgid:{message_id.strip().strip('<>').lower()}"


def lookup_for(message: InboundMessage) -> ThreadLookup:
    hints = message.thread
    if message.channel is Channel.EMAIL:
        parents = [*hints.in_reply_to, *reversed(hints.references)]
        root = hints.references[0] if hints.references else (hints.in_reply_to[0] if hints.in_reply_to else None)
        own = hints.message_id or message.key
        refs = [email_ref(ref) for ref in parents]
        key = email_ref(root or own)
        return ThreadLookup(references=refs, new_thread_key=key, own_references=[email_ref(own), key])
    if message.channel is Channel.CHAT and hints.chat_session_id:
        key = f"chat:{hints.chat_session_id}"
        return ThreadLookup(references=[key], new_thread_key=key, own_references=[key])
    if message.channel is Channel.REVIEW and hints.review_id:
        key = f"review:{hints.review_id}"
        return ThreadLookup(references=[key], new_thread_key=key, own_references=[key])
    if message.channel is Channel.PHONE and hints.caller:
        # Calls thread on the caller: one conversation per number and hotel.
        key = f"phone:{hints.caller}"
        return ThreadLookup(references=[key], new_thread_key=key, own_references=[key])
    # Web forms (and calls without a number): every message is a new request.
    return ThreadLookup(references=[], new_thread_key=message.key, own_references=[message.key])
