"""Which hotels exist, as the inbox's directory says: asked over the bus, remembered briefly, and told
at once of a new hotel by `location.changed`, so a message for a made-up hotel creates nothing.

When the inbox does not answer, guest mail must not be lost: a hotel this process has seen exist is
accepted (fail open), and an unknown one gets a temporary refusal (SMTP 451, HTTP 503) that the
sender retries, never a permanent one.
"""

import logging
import time
from dataclasses import dataclass, field

from faststream.nats import NatsBroker

from shared.bus import LOCATION_EXISTS, LocationChanged, LocationExistsRequest, Subjects
from shared.messaging import rpc
from shared.problems import Problem
from shared.runtime import Runtime

log = logging.getLogger(__name__)
MAX_UNKNOWN = 10_000  # refusals remembered; made-up ids beyond that only cost a question each


class HotelsUnavailableError(Exception):
    """The directory did not answer about a hotel this process has never seen: try again later."""


@dataclass
class KnownHotels:
    broker: NatsBroker
    ttl: float = 60.0  # a deleted hotel is refused at most this long after
    unknown_ttl: float = 2.0  # a refusal is remembered this long (a new hotel's event clears it at once)
    timeout: float = 2.0
    _confirmed: dict[str, float] = field(default_factory=dict)  # hotel -> when the directory last said so
    _refused: dict[str, float] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)  # ever confirmed: accepted while the directory is away

    def learn(self, location_id: str) -> None:
        self._confirmed[location_id] = time.monotonic()
        self._seen.add(location_id)
        self._refused.pop(location_id, None)

    async def exists(self, location_id: str) -> bool:
        """Whether the hotel exists; raises HotelsUnavailableError when nobody can say."""
        now = time.monotonic()
        if now - self._confirmed.get(location_id, -self.ttl) < self.ttl:
            return True
        if now - self._refused.get(location_id, -self.unknown_ttl) < self.unknown_ttl:
            return False
        try:
            answer = await rpc(
                self.broker, LOCATION_EXISTS, LocationExistsRequest(location_id=location_id), timeout=self.timeout
            )
        except Exception as exc:  # no responder, a time-out: the same for the guest
            if location_id in self._seen:
                log.warning("directory did not answer; accepting a known hotel", extra={"location": location_id})
                return True
            raise HotelsUnavailableError(location_id) from exc
        if answer.found:
            self.learn(location_id)
            return True
        self._seen.discard(location_id)
        self._confirmed.pop(location_id, None)
        if len(self._refused) >= MAX_UNKNOWN:
            self._refused.clear()
        self._refused[location_id] = now
        return False

    async def require(self, location_id: str) -> None:
        """For HTTP: 404 for a hotel that does not exist, 503 when the directory cannot say."""
        try:
            found = await self.exists(location_id)
        except HotelsUnavailableError:
            raise Problem(503, "Temporarily unavailable", "The hotel could not be checked; send it again.") from None
        if not found:
            raise Problem(404, "Unknown hotel", f"No hotel has the id {location_id!r}.")


def register(runtime: Runtime, hotels: KnownHotels) -> None:
    """Every replica learns of a new or edited hotel (no queue group)."""

    # A core subscription sees the JetStream publish itself, whose reply subject awaits the stream's ack:
    # answering it (FastStream's default) would hand the publisher an empty "ack" (no_reply).
    @runtime.broker.subscriber(Subjects.LOCATION_CHANGES, include_in_schema=False, no_reply=True)
    async def hotel_changed(event: LocationChanged) -> None:
        hotels.learn(event.location_id)
