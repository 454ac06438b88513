"""Contact search behind its seam: FerretDB's bucketed keys and MongoDB's indexed prefix queries find
the same contacts, checked on a FerretDB of this module's own (no stack needed)."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.contacts import service
from services.contacts.repository import ContactRepository, indexes_for
from services.contacts.schemas import NewContact
from shared.db import Document, ensure_indexes
from shared.settings import MongoFlavour
from tests.support import servers
from tests.support.servers import Process

pytestmark = pytest.mark.integration
FLAVOURS: list[MongoFlavour] = ["ferretdb", "mongodb"]


@pytest.fixture(scope="module")
def ferretdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    root: Path = tmp_path_factory.mktemp("contact-search")
    process = servers.ferretdb(root / "ferretdb").start()
    yield process
    process.stop()


@pytest.fixture(params=FLAVOURS)
async def repository(request: pytest.FixtureRequest, ferretdb: Process) -> AsyncIterator[ContactRepository]:
    flavour: MongoFlavour = request.param
    client: AsyncMongoClient[Document] = AsyncMongoClient(f"mongodb://127.0.0.1:{ferretdb.port}", tz_aware=True)
    db = client[f"search_{flavour}"]
    await ensure_indexes(db, indexes_for(flavour))
    yield ContactRepository(db, flavour)
    await client.drop_database(db.name)
    await client.close()


async def _contact(repository: ContactRepository, hotel: str, **fields: Any) -> str:
    new = NewContact.model_validate({"location_id": hotel, **fields})
    created = await service.create(repository, new, lambda _contact: True)
    return str(created.contact["_id"])


async def _found(repository: ContactRepository, text: str, hotels: list[str] | None = None) -> list[str]:
    return [str(c["_id"]) for c in await service.search(repository, text, hotels, 10)]


async def test_both_variants_find_by_name_email_and_phone_in_scope(repository: ContactRepository) -> None:
    zoe = await _contact(
        repository, "paris", first_name="Zoé", last_name="Lefèvre", email="Zoe.L@Example.fr", phone="06 12 34 56 78"
    )
    anna = await _contact(repository, "lyon", first_name="Anna", last_name="Martin", email="anna@example.com")
    for typed in ("zoe", "LEFEV", "zoe.l@", "0612", "+33 6 12", "33612", "zoé lef", "lefevre zo", "zoe 0612"):
        assert await _found(repository, typed, ["paris"]) == [zoe], typed
        assert await _found(repository, typed) == [zoe], f"chain-wide: {typed}"
    for typed in ("zoe dupont", "lefevre 0699", "oe", "example.fr"):
        assert await _found(repository, typed, ["paris"]) == [], typed
    assert await _found(repository, "zoe", ["lyon"]) == [], "another hotel's guest is never found"
    assert await _found(repository, "ann", ["paris", "lyon"]) == [anna]
    # Special characters are text, not patterns.
    assert await _found(repository, "an.a") == []


async def test_results_are_sorted_by_name_and_follow_changes(repository: ContactRepository) -> None:
    bruno = await _contact(repository, "nice", first_name="Bruno", last_name="Marceau")
    alice = await _contact(repository, "nice", first_name="Alice", last_name="Marchand")
    assert await _found(repository, "marc", ["nice"]) == [alice, bruno]

    contact = await repository.get(bruno)
    assert contact is not None
    await service.change(repository, contact, {"last_name": "Durand"})
    assert await _found(repository, "marc", ["nice"]) == [alice]
    assert await _found(repository, "durand", ["nice"]) == [bruno]

    await repository.unindex_search(alice)
    assert await _found(repository, "marc", ["nice"]) == []


async def test_a_contact_of_several_hotels_is_found_once(repository: ContactRepository) -> None:
    hugo = await _contact(repository, "rome", first_name="Hugo", last_name="Petit", email="hugo@example.com")
    contact = await repository.get(hugo)
    assert contact is not None
    await repository.update(hugo, {"location_ids": ["rome", "milan"]})
    await service.reindex(repository, {**contact, "location_ids": ["rome", "milan"]})
    assert await _found(repository, "hugo", ["rome", "milan"]) == [hugo]
    assert await _found(repository, "hugo", ["milan"]) == [hugo]


async def test_a_change_of_variant_rebuilds_the_entries(repository: ContactRepository) -> None:
    léa = await _contact(repository, "nantes", first_name="Léa", last_name="Roux")
    assert await service.migrate_search(repository) >= 1, "no version stored yet: built once"
    assert await service.migrate_search(repository) == 0, "same variant: nothing to do"
    await repository.set_search_version("another-shape")
    await repository.search.unindex(léa)
    assert await service.migrate_search(repository) >= 1
    assert await _found(repository, "lea roux", ["nantes"]) == [léa]
