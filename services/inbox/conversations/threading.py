"""Which conversation an inbound message belongs to, always within the message's own hotel.

Email threads by its headers against every Message-ID the conversation has seen or sent, then by
the signed reply token in the recipient address; chat by session; a review by its id; a call by
the caller's number; a web form always opens a new request. When nothing known matches, the
thread key is derived from the message itself so that every replica computes the same key for
messages of one thread: an email thread's key is its root Message-ID (the first of References),
whichever message arrives first.

Every key names the hotel: a Message-ID or a review id is written by the sender, so without the
hotel a message to one hotel could join another hotel's conversation (a guest who forwards a
thread to a sister hotel opens a request *there*). Form and call keys have always named the hotel
(`form:<hotel>:…`, `phone:<hotel>:…`); email, review and chat references stored before they did
(`msgid:…`, `review:…`, `chat:…`) are still looked up, and the repository accepts such an older
reference only when its conversation belongs to the message's hotel (`find_thread`).
"""

from dataclasses import dataclass

from shared.bus import Channel, InboundMessage


@dataclass(frozen=True)
class ThreadLookup:
    """Known references to try, in order, then the key of a new thread if none is known."""

    location_id: str  # the only hotel whose conversations these references may find
    references: list[str]
    new_thread_key: str
    own_references: list[str]  # to record, so later messages of this thread find it


def in_hotel(location_id: str, reference: str) -> str:
    return f"{location_id}|{reference}"


def email_ref(location_id: str, message_id: str) -> str:
    return in_hotel(location_id, legacy_email_ref(message_id))


def legacy_email_ref(message_id: str) -> str:
    """An email reference as stored before references named their hotel."""
    return f"msgid:{message_id.strip().strip('<>').lower()}"


def lookup_for(message: InboundMessage) -> ThreadLookup:
    hints, hotel = message.thread, message.location_id
    if message.channel is Channel.EMAIL:
        parents = [*hints.in_reply_to, *reversed(hints.references)]
        root = hints.references[0] if hints.references else (hints.in_reply_to[0] if hints.in_reply_to else None)
        own = hints.message_id or message.key
        refs = [email_ref(hotel, ref) for ref in parents] + [legacy_email_ref(ref) for ref in parents]
        key = email_ref(hotel, root or own)
        return ThreadLookup(hotel, references=refs, new_thread_key=key, own_references=[email_ref(hotel, own), key])
    if message.channel is Channel.CHAT and hints.chat_session_id:
        return _keyed(hotel, f"chat:{hints.chat_session_id}")
    if message.channel is Channel.REVIEW and hints.review_id:
        return _keyed(hotel, f"review:{hints.review_id}")
    if message.channel is Channel.PHONE and hints.caller:
        # Calls thread on the caller, which ingest writes as "<hotel>:<number>": one conversation per
        # number and hotel, with the hotel in the key since the first version.
        key = f"phone:{hints.caller}"
        return ThreadLookup(hotel, references=[key], new_thread_key=key, own_references=[key])
    # Web forms (and calls without a number): every message is a new request; its key names the hotel.
    return ThreadLookup(hotel, references=[], new_thread_key=message.key, own_references=[message.key])


def _keyed(hotel: str, reference: str) -> ThreadLookup:
    key = in_hotel(hotel, reference)
    return ThreadLookup(hotel, references=[key, reference], new_thread_key=key, own_references=[key])
