"""Per-key turns within one process (see `Turns`)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field


@dataclass
class Turns:
    """Turns, within one process, for work on the same keys: holders of a shared key go one after the
    other, in the order they came, and others at once. Locks are taken in sorted order (no two holders
    wait for each other) and forgotten when nobody holds or waits for them.

    The inbox stores the messages of one thread in turn (a reply names the message it answers);
    contacts write one contact in turn (FerretDB v1 runs an update as a read then a write, so two
    concurrent updates of one document would lose one of them)."""

    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _users: dict[str, int] = field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def holding(self, references: Iterable[str]) -> AsyncIterator[None]:
        keys = sorted(set(references))
        for key in keys:
            self._users[key] = self._users.get(key, 0) + 1
        held: list[str] = []
        try:
            for key in keys:
                await self._locks.setdefault(key, asyncio.Lock()).acquire()
                held.append(key)
            yield
        finally:
            for key in reversed(held):
                self._locks[key].release()
            for key in keys:
                self._users[key] -= 1
                if not self._users[key]:
                    del self._users[key], self._locks[key]

    def __len__(self) -> int:
        """How many references are held or waited for (tests: none once all is done)."""
        return len(self._users)
