"""Which conversation an inbound message belongs to, always within the message's own hotel.

Email threads by its headers against every Message-ID the conversation has seen or sent, then by
the signed reply token in the recipient address, then by the request tag its subject quotes
(`[#ABC123]`, for mail programs that drop the headers), only towards a conversation of the same hotel
and the same guest address (`tag_ref`); chat by session; a review by its id; a call by
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

A request merged into another (merging/) keeps its references, tokens and tags, which lead on to the
survivor: whatever finds a merged request follows its `merged_into` (`Inbox.surviving`).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from shared.bus import Channel, InboundMessage
from shared.mail_threads import reference_tag, references_of_answer, subject_tags

# A thread that finds a request merged into another follows `merged_into` to the survivor, at most this
# many merges deep (a merge never leads back: a merged request cannot take another in).
MAX_MERGE_HOPS = 5


@dataclass(frozen=True)
class ThreadLookup:
    """Known references to try, in order, then the key of a new thread if none is known."""

    location_id: str  # the only hotel whose conversations these references may find
    references: list[str]
    new_thread_key: str
    own_references: list[str]  # to record, so later messages of this thread find it
    # Tried after the headers and the reply token: each tag the subject quotes, with its reference for
    # the sender's address (empty when the sender may not be who they seem).
    tag_references: dict[str, str] = field(default_factory=dict)


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
        sender = None if message.ambiguous_sender else message.guest.email
        tags = {tag: tag_ref(hotel, tag, sender) for tag in subject_tags(message.subject)} if sender else {}
        own_refs = [email_ref(hotel, own), key]
        return ThreadLookup(hotel, references=refs, new_thread_key=key, own_references=own_refs, tag_references=tags)
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


def tag_ref(location_id: str, tag: str, email: str) -> str:
    """The reference of a request tag quoted by one guest address: a tag alone is on every email of the
    request, which the guest may forward; with the address, only the guest's own messages find it."""
    return in_hotel(location_id, f"tag:{tag.upper()}:{email.lower()}")


def opened_references(message: InboundMessage, conversation_id: str) -> list[str]:
    """What a new conversation records besides its thread's own references: its tag for the guest's
    address, so a later email quoting the tag in its subject finds it with one look-up."""
    if message.ambiguous_sender or not message.guest.email:
        return []
    return [tag_ref(message.location_id, reference_tag(conversation_id), message.guest.email)]


def tagged(conversation_ids: Iterable[str], tags: Iterable[str]) -> tuple[str, str] | None:
    """The first of the tags (in the subject's order) that one of the conversations has, with it."""
    by_tag = {reference_tag(conversation_id): conversation_id for conversation_id in conversation_ids}
    return next(((by_tag[tag], tag) for tag in tags if tag in by_tag), None)


def reply_references(message: InboundMessage) -> list[str]:
    """The References an answer to this message carries: its thread's chain, then the message itself."""
    hints = message.thread
    return references_of_answer(hints.references, hints.in_reply_to, hints.message_id)


def _keyed(hotel: str, reference: str) -> ThreadLookup:
    key = in_hotel(hotel, reference)
    return ThreadLookup(hotel, references=[key, reference], new_thread_key=key, own_references=[key])
