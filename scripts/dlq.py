"""The dead-letter stream from the command line: list, show, replay and purge what consumers gave up on.

    python -m scripts.dlq list [--stream INBOUND] [--subject 'hub.inbound.guest.*.paris-opera']
    python -m scripts.dlq show SEQ
    python -m scripts.dlq replay SEQ | --all [--stream INBOUND] [--subject PATTERN]
    python -m scripts.dlq purge SEQ

An entry is the `DeadLetter` that shared/messaging.py published on `hub.dlq.<stream>` (stream DLQ),
named by its sequence in that stream. Replaying republishes the original payload, byte for byte, to its
original subject and stream with its original headers, under a fresh `Nats-Msg-Id` of
`replay:<dlq seq>:<original id>`: new to the server's duplicate window, yet the same for every replay of
one entry. The entry is removed only after JetStream has acknowledged the publish, so nothing is lost;
if the removal fails after the publish, replaying the entry again is recognised as a duplicate by the
server (within the stream's duplicate window) and by the consumers' storage by key (after it).

Exit codes: 0 done, 1 an entry is unknown or could not be replayed, 2 wrong usage, 3 NATS or its DLQ
stream cannot be reached. The server is `HUB_NATS_URL` unless `--nats-url` is given.
"""

import argparse
import asyncio
import base64
import json
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import nats
from nats.aio.client import Client as NatsClient
from nats.errors import Error as NatsError
from nats.js.api import PubAck
from nats.js.client import JetStreamContext
from nats.js.errors import APIError, NotFoundError
from pydantic import ValidationError

from shared.bus import DLQ, DeadLetter, Subjects
from shared.settings import HubSettings

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
MSG_ID_HEADER = "Nats-Msg-Id"
REPLAY_HEADER = "Hub-Replay-Of"  # which DLQ entry a replayed message came from, for whoever debugs it next
REASON_WIDTH = 70


class DlqError(Exception):
    """Something the operator must hear about; the message says what and what to do."""

    exit_code = EXIT_FAILED


class UnreachableError(DlqError):
    exit_code = EXIT_UNREACHABLE


@dataclass(frozen=True)
class Entry:
    """One message of the DLQ stream: normally a dead letter, or whatever else was published there."""

    seq: int
    stored_at: datetime | None
    data: bytes
    letter: DeadLetter | None
    problem: str | None = None  # why `data` is not a dead letter

    @property
    def replayable(self) -> bool:
        return self.letter is not None and bool(self.letter.subject)

    @property
    def payload(self) -> bytes:
        return base64.b64decode(self.letter.payload_base64) if self.letter else b""


@dataclass(frozen=True)
class Replayed:
    entry: Entry
    ack: PubAck


def parse_entry(seq: int, stored_at: datetime | None, data: bytes) -> Entry:
    try:
        return Entry(seq, stored_at, data, DeadLetter.model_validate_json(data))
    except ValidationError as exc:
        return Entry(seq, stored_at, data, None, problem=f"not a dead letter ({exc.error_count()} errors)")


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS wildcard matching: `*` is one token, a final `>` is one or more."""
    wanted, parts = pattern.split("."), subject.split(".")
    for i, part in enumerate(wanted):
        if part == ">":
            return len(parts) > i
        if i >= len(parts) or part not in ("*", parts[i]):
            return False
    return len(wanted) == len(parts)


async def read_entry(js: JetStreamContext, seq: int) -> Entry:
    try:
        raw = await js.get_msg(DLQ.name, seq)
    except NotFoundError:
        raise DlqError(f"there is no DLQ entry {seq} (already replayed or purged?); `list` shows the entries") from None
    return parse_entry(seq, raw.time, raw.data or b"")


async def read_entries(
    js: JetStreamContext, *, stream: str | None = None, subject: str | None = None
) -> AsyncIterator[Entry]:
    """The DLQ's entries, oldest first, up to the last one present when the reading started.

    The bound matters for `replay --all`: a replayed message that fails again is dead-lettered anew,
    and must not be replayed a second time by the same run.
    """
    last = (await js.stream_info(DLQ.name)).state.last_seq
    seq = 1
    while seq <= last:
        try:
            # With no subject the server reads `seq` exactly, even with `next`: the DLQ's own wildcard it is.
            raw = await js.get_msg(
                DLQ.name, seq, subject=Subjects.dlq(stream) if stream else Subjects.DLQ_ALL, next=True
            )
        except NotFoundError:
            return
        if raw.seq is None or raw.seq > last:
            return
        entry = parse_entry(raw.seq, raw.time, raw.data or b"")
        if subject is None or (entry.letter is not None and subject_matches(subject, entry.letter.subject)):
            yield entry
        seq = raw.seq + 1


def replay_headers(entry: Entry) -> dict[str, str]:
    """The original headers, under a message id of this entry's own (the same at every replay of it).

    Publish preconditions (`Nats-Expected-*`) held for the first publish only and are not repeated.
    """
    assert entry.letter is not None  # noqa: S101 - callers check `replayable`
    headers = {h.name: h.value for h in entry.letter.headers}
    original = headers.pop(MSG_ID_HEADER, "")
    headers = {name: value for name, value in headers.items() if not name.startswith("Nats-Expected-")}
    headers[MSG_ID_HEADER] = f"replay:{entry.seq}:{original}" if original else f"replay:{entry.seq}"
    headers[REPLAY_HEADER] = f"{DLQ.name} {entry.seq}"
    return headers


async def republish(js: JetStreamContext, entry: Entry, *, timeout: float = 5.0) -> PubAck:
    """Publish the entry's original message again and wait for JetStream to store it (or know it already)."""
    if entry.letter is None or not entry.replayable:
        why = entry.problem or "its original message was no longer in its stream when it was dead-lettered"
        raise DlqError(f"DLQ entry {entry.seq} cannot be replayed: {why}; `purge {entry.seq}` removes it")
    try:
        return await js.publish(
            entry.letter.subject,
            entry.payload,
            timeout=timeout,
            stream=entry.letter.stream,
            headers=replay_headers(entry),
        )
    except APIError as exc:
        raise DlqError(
            f"JetStream refused the replay of DLQ entry {entry.seq} to {entry.letter.subject} "
            f"(stream {entry.letter.stream}): {exc.description or exc}; the entry is kept"
        ) from exc
    except (NatsError, TimeoutError) as exc:
        raise UnreachableError(
            f"JetStream did not acknowledge the replay of DLQ entry {entry.seq}: {exc!r}; the entry is kept"
        ) from exc


async def remove(js: JetStreamContext, seq: int) -> None:
    try:
        await js.delete_msg(DLQ.name, seq)
    except NotFoundError:
        return  # another operator's replay or purge removed it first


async def replay(js: JetStreamContext, entry: Entry) -> Replayed:
    """Republish, then remove the entry: never the other way round, so a failure keeps the entry."""
    ack = await republish(js, entry)
    await remove(js, entry.seq)
    return Replayed(entry, ack)


# --- output ---------------------------------------------------------------------------------------


def _when(entry: Entry) -> str:
    moment = entry.letter.failed_at if entry.letter else entry.stored_at
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "?"


def _reason(entry: Entry) -> str:
    text = " ".join((entry.letter.error if entry.letter else entry.problem or "").split())
    return text if len(text) <= REASON_WIDTH else text[: REASON_WIDTH - 1] + "…"


def format_table(entries: Sequence[Entry]) -> str:
    header = ("SEQ", "FAILED AT (UTC)", "STREAM", "SUBJECT", "SIZE", "REASON")
    rows = [
        (
            str(e.seq),
            _when(e),
            e.letter.stream if e.letter else "?",
            (e.letter.subject or "(lost)") if e.letter else "?",
            str(len(e.payload) if e.letter else len(e.data)),
            _reason(e),
        )
        for e in entries
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {0, 4}  # numbers
    lines = [
        "  ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join(lines)


def _payload_text(data: bytes) -> tuple[str, str]:
    """(kind, text) of a payload: indented JSON, UTF-8 text, or base64 for anything else."""
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return "binary, base64", base64.encodebytes(data).decode().rstrip()
    try:
        return "JSON", json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return "text", text


def format_entry(entry: Entry) -> str:
    lines = [f"DLQ entry {entry.seq}"]
    letter = entry.letter
    if letter is None:
        kind, text = _payload_text(entry.data)
        lines += [f"  {entry.problem}", f"stored at:   {_when(entry)} UTC", f"body ({len(entry.data)} bytes, {kind}):"]
        return "\n".join([*lines, text])
    lines += [
        f"failed at:   {_when(entry)} UTC",
        f"stream:      {letter.stream} (message {letter.stream_sequence})",
        f"consumer:    {letter.consumer}",
        f"subject:     {letter.subject or '(lost: the message had left its stream)'}",
        f"deliveries:  {letter.deliveries}",
        "error:",
        *(f"  {line}" for line in letter.error.splitlines()),
        "headers:" if letter.headers else "headers:     (none)",
        *(f"  {h.name}: {h.value}" for h in letter.headers),
    ]
    kind, text = _payload_text(entry.payload)
    lines.append(f"payload ({len(entry.payload)} bytes, {kind}):")
    return "\n".join([*lines, text])


# --- commands -------------------------------------------------------------------------------------


async def connect(url: str) -> NatsClient:
    async def quiet(_: Exception) -> None:
        return None  # the failure is reported once, below, instead of logged at every attempt

    servers = [part.strip() for part in url.split(",") if part.strip()]
    try:
        return await nats.connect(
            servers,
            connect_timeout=3,
            allow_reconnect=False,
            max_reconnect_attempts=1,  # 0 would mean "forever"
            reconnect_time_wait=0.5,
            error_cb=quiet,
        )
    except (NatsError, OSError, TimeoutError) as exc:
        raise UnreachableError(f"cannot reach NATS at {url} ({exc}); is HUB_NATS_URL right?") from exc


async def ensure_dlq(js: JetStreamContext) -> None:
    try:
        await js.stream_info(DLQ.name)
    except NotFoundError:
        raise UnreachableError(
            f"this NATS server has no {DLQ.name} stream (have the hub's services run on it?)"
        ) from None
    except (NatsError, TimeoutError) as exc:
        raise UnreachableError(f"cannot read the {DLQ.name} stream: {exc!r}; is JetStream enabled?") from exc


async def list_entries(js: JetStreamContext, args: argparse.Namespace) -> int:
    entries = [e async for e in read_entries(js, stream=args.stream, subject=args.subject)]
    if not entries:
        print("the DLQ holds no entry" + (" matching the filters" if args.stream or args.subject else ""))
        return EXIT_OK
    print(format_table(entries))
    print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")
    return EXIT_OK


async def show_entry(js: JetStreamContext, args: argparse.Namespace) -> int:
    print(format_entry(await read_entry(js, args.seq)))
    return EXIT_OK


def _report(done: Replayed) -> str:
    letter = done.entry.letter
    assert letter is not None  # noqa: S101 - only replayable entries are replayed
    where = f"{letter.subject} ({done.ack.stream} message {done.ack.seq})"
    if done.ack.duplicate:
        return f"DLQ entry {done.entry.seq} had already been replayed to {where}; entry removed"
    return f"replayed DLQ entry {done.entry.seq} to {where}; entry removed"


async def replay_entries(js: JetStreamContext, args: argparse.Namespace) -> int:
    if args.seq is not None:
        if args.stream or args.subject:
            raise DlqError("--stream and --subject filter `replay --all`; a sequence names one entry already")
        print(_report(await replay(js, await read_entry(js, args.seq))))
        return EXIT_OK
    replayed, skipped = 0, []
    async for entry in read_entries(js, stream=args.stream, subject=args.subject):
        if not entry.replayable:
            skipped.append(entry.seq)
            continue
        print(_report(await replay(js, entry)))
        replayed += 1
    print(f"{replayed} replayed" + (f"; kept, cannot be replayed: {', '.join(map(str, skipped))}" if skipped else ""))
    return EXIT_FAILED if skipped else EXIT_OK


async def purge_entry(js: JetStreamContext, args: argparse.Namespace) -> int:
    entry = await read_entry(js, args.seq)
    await remove(js, entry.seq)
    what = f"{entry.letter.stream} {entry.letter.subject or '(lost)'}" if entry.letter else entry.problem
    print(f"purged DLQ entry {entry.seq} ({what}, {_reason(entry)})")
    return EXIT_OK


COMMANDS = {"list": list_entries, "show": show_entry, "replay": replay_entries, "purge": purge_entry}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m scripts.dlq", description="Inspect and replay the hub's dead letters."
    )
    top.add_argument("--nats-url", help="NATS server(s), comma-separated (default: HUB_NATS_URL)")
    commands = top.add_subparsers(dest="command", required=True)

    def filters(command: argparse.ArgumentParser) -> None:
        command.add_argument("--stream", help="only the dead letters of this stream (INBOUND, OUTBOUND, EVENTS…)")
        command.add_argument("--subject", help="only those whose original subject matches (NATS wildcards * and >)")

    filters(commands.add_parser("list", help="a table of the entries, oldest first"))
    commands.add_parser("show", help="one entry: error, headers, payload").add_argument("seq", type=int)
    replay_command = commands.add_parser("replay", help="publish entries again to their subject, then remove them")
    which = replay_command.add_mutually_exclusive_group(required=True)
    which.add_argument("seq", type=int, nargs="?", help="the entry's sequence")
    which.add_argument("--all", action="store_true", help="every entry (that matches --stream and --subject)")
    filters(replay_command)
    commands.add_parser("purge", help="remove one entry without replaying it").add_argument("seq", type=int)
    return top


async def run(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    try:
        url = args.nats_url or HubSettings().nats_url
    except ValidationError as exc:
        print(f"dlq: error: the HUB_* settings are invalid:\n{exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        nc = await connect(url)
        try:
            js = nc.jetstream(timeout=5)
            await ensure_dlq(js)
            return await COMMANDS[args.command](js, args)
        finally:
            await nc.close()
    except DlqError as exc:
        print(f"dlq: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (NatsError, TimeoutError) as exc:
        print(f"dlq: error: NATS stopped answering ({exc!r}); nothing was removed unreplayed", file=sys.stderr)
        return EXIT_UNREACHABLE


def main() -> None:
    sys.exit(asyncio.run(run(sys.argv[1:])))


if __name__ == "__main__":
    main()
