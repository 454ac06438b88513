"""The policies and hotels new targets are computed from are remembered for a while in each process; a
read that began before a write here and ends after it is not remembered (it would bring back, for the
cache's whole life, the policy list the write just replaced)."""

import asyncio
from typing import Any, cast

import pytest

from services.inbox.sla import targets
from services.inbox.sla.repository import SlaRepository
from services.inbox.sla.targets import Targets, forget_hotels, forget_policies


class SlowPolicies:
    """Stands in for the repository's reads: each answers what is stored when it began, once let go."""

    def __init__(self) -> None:
        self.stored: list[dict[str, Any]] = [{"_id": "old"}]
        self.groups: list[str] = ["before"]
        self.release = asyncio.Event()
        self.reads = 0

    async def all_policies(self) -> list[dict[str, Any]]:
        self.reads += 1
        answer = list(self.stored)
        await self.release.wait()
        return answer

    async def location(self, location_id: str) -> dict[str, Any]:
        return {"_id": location_id, "name": location_id}

    async def groups_of(self, location_id: str) -> list[str]:
        answer = list(self.groups)
        await self.release.wait()
        return answer


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    forget_policies()
    forget_hotels()


def targets_over(repository: SlowPolicies) -> Targets:
    return Targets(cast(SlaRepository, repository))


async def test_policies_are_remembered_between_requests() -> None:
    repository = SlowPolicies()
    repository.release.set()
    assert await targets_over(repository).policies() == [{"_id": "old"}]
    assert await targets_over(repository).policies() == [{"_id": "old"}]
    assert repository.reads == 1


async def test_a_read_overtaken_by_a_policy_write_is_not_remembered() -> None:
    repository = SlowPolicies()
    reading = asyncio.create_task(targets_over(repository).policies())
    await asyncio.sleep(0)
    repository.stored = [{"_id": "old"}, {"_id": "new"}]
    forget_policies()  # as the policy API does after writing
    repository.release.set()
    assert await reading == [{"_id": "old"}], "the read in flight answers what it found"
    assert await targets_over(repository).policies() == [{"_id": "old"}, {"_id": "new"}]


async def test_a_hotel_read_overtaken_by_a_group_write_is_not_remembered() -> None:
    repository = SlowPolicies()
    reading = asyncio.create_task(targets_over(repository).hotel("paris"))
    await asyncio.sleep(0)
    repository.groups = ["before", "after"]
    forget_hotels()  # as the directory does after writing a group or a hotel
    repository.release.set()
    assert (await reading).groups == ("before",)
    assert (await targets_over(repository).hotel("paris")).groups == ("before", "after")


async def test_policies_are_read_again_after_the_cache_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    repository = SlowPolicies()
    repository.release.set()
    monkeypatch.setattr(targets, "CACHE_SECONDS", -1.0)  # remembered until a second ago
    await targets_over(repository).policies()
    await targets_over(repository).policies()
    assert repository.reads == 2
