"""Generate the bus's AsyncAPI document from the five services' brokers: `python -m scripts.asyncapi`.

Writes docs/asyncapi.yaml, and the table of who publishes what in shared/bus.py's docstring; unit tests
fail when either is out of date.
"""

from pathlib import Path

import yaml
from faststream.specification import AsyncAPI
from faststream.specification.base import Specification

from services.contacts.main import build_app as contacts_app
from services.inbox.main import build_app as inbox_app
from services.ingest.main import build_app as ingest_app
from services.notify.main import build_app as notify_app
from services.solicit.main import build_app as solicit_app
from shared import bus
from shared.settings import HubSettings

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "asyncapi.yaml"


def specification() -> Specification:
    # Fixed settings, so the document does not depend on the environment it is generated in.
    settings = HubSettings(nats_url="nats://127.0.0.1:4222")
    apps = [
        ingest_app(settings),
        inbox_app(settings),
        contacts_app(settings),
        notify_app(settings),
        solicit_app(settings),
    ]
    brokers = [app.state.runtime.broker for app in apps]
    return AsyncAPI(
        *brokers,
        title="Hotel hub bus",
        version="1",
        description="Every subject of the hub's NATS bus, with its message schema (see shared/bus.py).",
    ).to_specification()


def render() -> str:
    # Sorted keys: FastStream's channel order depends on registration order across brokers.
    return str(yaml.safe_dump(specification().to_jsonable(), sort_keys=True, allow_unicode=True))


def main() -> None:
    DOCUMENT.write_text(render())
    print(DOCUMENT)
    module = Path(bus.__file__)
    module.write_text(bus.with_table(module.read_text()))
    print(module)


if __name__ == "__main__":
    main()
