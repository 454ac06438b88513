"""Which hotels ingest accepts messages for: the directory's answer, remembered, and what an outage means."""

from typing import Any

import pytest

from services.ingest import hotels
from services.ingest.hotels import HotelsUnavailableError, KnownHotels
from shared.bus import LocationExists
from shared.problems import Problem


class Directory:
    """The inbox's answers, counted; `down` makes every question fail as a missing responder does."""

    def __init__(self, *existing: str) -> None:
        self.existing, self.asked, self.down = set(existing), 0, False

    async def __call__(self, _broker: Any, _call: Any, request: Any, *, timeout: float) -> LocationExists:
        self.asked += 1
        if self.down:
            raise TimeoutError
        return LocationExists(found=request.location_id in self.existing)


@pytest.fixture
def directory(monkeypatch: pytest.MonkeyPatch) -> Directory:
    fake = Directory("paris")
    monkeypatch.setattr(hotels, "rpc", fake)
    return fake


class TestKnownHotels:
    async def test_answers_are_remembered(self, directory: Directory) -> None:
        known = KnownHotels(broker=None)  # type: ignore[arg-type]
        assert await known.exists("paris")
        assert await known.exists("paris")
        assert not await known.exists("ghost")
        assert not await known.exists("ghost")
        assert directory.asked == 2

    async def test_a_new_hotels_event_clears_a_refusal_at_once(self, directory: Directory) -> None:
        known = KnownHotels(broker=None)  # type: ignore[arg-type]
        assert not await known.exists("nice")
        known.learn("nice")
        assert await known.exists("nice")

    async def test_without_the_directory_a_hotel_seen_before_is_accepted_and_an_unknown_one_waits(
        self, directory: Directory
    ) -> None:
        known = KnownHotels(broker=None, ttl=0)  # type: ignore[arg-type]
        assert await known.exists("paris")
        directory.down = True
        assert await known.exists("paris"), "fail open: guest mail for a known hotel is never lost"
        with pytest.raises(HotelsUnavailableError):
            await known.exists("lyon")
        with pytest.raises(Problem) as temporary:
            await known.require("lyon")
        assert temporary.value.status == 503

    async def test_require_is_404_for_a_hotel_the_directory_does_not_have(self, directory: Directory) -> None:
        with pytest.raises(Problem) as refused:
            await KnownHotels(broker=None).require("ghost")  # type: ignore[arg-type]
        assert refused.value.status == 404
