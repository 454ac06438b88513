"""The texts the hub writes itself into a guest's request (a call's summary, the placeholder of an empty message).

Each is a key and values: the console renders it in its reader's language (`text.<key>` in
services/inbox/console/js/i18n.js, which must follow this catalogue), while the English rendering is
stored as the subject or text itself, for search, emails and clients that know no key.
"""

from dataclasses import dataclass, field

TextValues = dict[str, str | int]

# The English of every key; the console holds the French and English of the same keys.
ENGLISH: dict[str, str] = {
    "call.inbound": "Inbound call from {caller}, {duration}.",
    "call.outbound": "Outbound call from {caller}, {duration}.",
    "call.missed": "Missed call from {caller}, {duration}.",
    "call.recording": "Recording: {recording_url}",
    "call.subject": "Call from {caller}",
    "message.no_text": "(no text)",
    "review.rating_only": "(rating only)",
    "review.deleted": "The review was deleted on the platform.",
    "review.subject": "{platform} review",
}


def duration(seconds: int) -> str:
    """A call's length as telephony platforms show it: "2 min 05 s" (the same in French)."""
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s"


@dataclass(frozen=True)
class SystemText:
    key: str
    values: TextValues = field(default_factory=dict)

    def english(self) -> str:
        values = {name: str(value) for name, value in self.values.items()}
        if "duration_seconds" in self.values:
            values["duration"] = duration(int(self.values["duration_seconds"]))
        text = ENGLISH[self.key].format_map(values)
        if "recording_url" in self.values:  # a call's recording, on a line of its own
            text += "\n" + ENGLISH["call.recording"].format_map(values)
        return text


NO_TEXT = SystemText("message.no_text")
RATING_ONLY = SystemText("review.rating_only")
REVIEW_DELETED = SystemText("review.deleted")


def call_text(direction: str, caller: str, duration_seconds: int, recording_url: str | None) -> SystemText:
    values: TextValues = {"caller": caller, "duration_seconds": duration_seconds}
    if recording_url:
        values["recording_url"] = recording_url
    return SystemText(f"call.{direction}", values)


def call_subject(caller: str) -> SystemText:
    return SystemText("call.subject", {"caller": caller})


def review_subject(platform: str) -> SystemText:
    return SystemText("review.subject", {"platform": platform})
