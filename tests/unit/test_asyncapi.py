"""The published AsyncAPI document is the one the code generates, and names every publication."""

from scripts.asyncapi import DOCUMENT, render
from shared import bus


def test_committed_document_is_up_to_date() -> None:
    assert DOCUMENT.read_text() == render(), "run `python -m scripts.asyncapi` and commit docs/asyncapi.yaml"


def test_every_publication_and_consumer_is_documented() -> None:
    document = DOCUMENT.read_text()
    publications = [value for value in vars(bus).values() if isinstance(value, bus.Publication)]
    assert len(publications) >= 5
    for publication in publications:
        assert f"address: {publication.subject}" in document
    assert f"address: {bus.INBOX_INBOUND.filter_subject}" in document
    assert f"address: {bus.NOTIFY_OUTBOUND.filter_subject}" in document
    assert "address: hub.rpc.contacts.resolve" in document
