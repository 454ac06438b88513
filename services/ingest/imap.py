"""IMAP polling of hotel mailboxes: new mail by UID, remembered per mailbox so a restart neither
re-imports nor skips, and flagged \\Seen only after JetStream has it.

The standard library's imaplib runs in a worker thread; what is remembered (`mailbox_state`:
UIDVALIDITY and the last UID handed over) is written only after the publish is acknowledged, so a
crash in between fetches that mail again, and the inbox's key (the Message-ID) stores it once.
"""

import asyncio
import contextlib
import imaplib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from shared.messaging import PublishFailedError
from shared.runtime import Runtime

from .email_intake import UnreadableEmailError, accept_email
from .metrics import INBOUND_REJECTED
from .repository import MailboxStateRepository
from .settings import ImapMailbox, IngestSettings

log = logging.getLogger(__name__)

BATCH = 50


def mailbox_id(mailbox: ImapMailbox) -> str:
    return f"{mailbox.user}@{mailbox.host}:{mailbox.port}/{mailbox.folder}"


@dataclass
class Fetched:
    uidvalidity: int
    messages: list[tuple[int, bytes]]


def _connect(mailbox: ImapMailbox) -> imaplib.IMAP4:
    client = (imaplib.IMAP4_SSL if mailbox.tls else imaplib.IMAP4)(mailbox.host, mailbox.port, timeout=30)
    client.login(mailbox.user, mailbox.password.get_secret_value())
    return client


def fetch_new(mailbox: ImapMailbox, uidvalidity: int, last_uid: int) -> Fetched:
    """Mail after `last_uid` (all of it when the folder's UIDVALIDITY changed), oldest first."""
    client = _connect(mailbox)
    try:
        status, _ = client.select(f'"{mailbox.folder}"', readonly=True)
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {mailbox.folder}")
        _, validity = client.response("UIDVALIDITY")
        current = int(validity[0] or 0) if validity else 0
        start = last_uid + 1 if current == uidvalidity else 1
        _, found = client.uid("SEARCH", f"UID {start}:*")
        uids = sorted(int(uid) for uid in (found[0] or b"").split() if int(uid) >= start)[:BATCH]
        messages = []
        for uid in uids:
            _, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if isinstance(raw, bytes):
                messages.append((uid, raw))
        return Fetched(uidvalidity=current, messages=messages)
    finally:
        with contextlib.suppress(Exception):
            client.logout()


def mark_seen(mailbox: ImapMailbox, uids: list[int]) -> None:
    if not uids:
        return
    client = _connect(mailbox)
    try:
        client.select(f'"{mailbox.folder}"')
        client.uid("STORE", ",".join(str(u) for u in uids), "+FLAGS", "(\\Seen)")
    finally:
        with contextlib.suppress(Exception):
            client.logout()


async def poll_once(runtime: Runtime, settings: IngestSettings, mailbox: ImapMailbox) -> int:
    """Hand the mailbox's new mail over; returns how many messages were handed over."""
    states = MailboxStateRepository(runtime.db)
    key = mailbox_id(mailbox)
    uidvalidity, last_uid = await states.get(key)
    fetched = await asyncio.to_thread(fetch_new, mailbox, uidvalidity, last_uid)
    if fetched.uidvalidity != uidvalidity:
        log.warning("mailbox UIDVALIDITY changed; reading it again", extra={"mailbox": key})
        last_uid = 0
    done: list[int] = []
    for uid, raw in fetched.messages:
        try:
            await accept_email(runtime, settings, raw, [], mailbox_location=mailbox.location_id)
        except UnreadableEmailError as exc:
            # Kept in the mailbox, not retried forever: it can never be read.
            INBOUND_REJECTED.labels(channel="email", reason="unreadable").inc()
            log.warning("unreadable email left in the mailbox", extra={"mailbox": key, "uid": uid, "error": str(exc)})
        except PublishFailedError:
            break  # not handed over: fetched again next time
        done.append(uid)
        last_uid = max(last_uid, uid)
        await states.save(key, fetched.uidvalidity, last_uid)
    if fetched.uidvalidity != uidvalidity and not done:
        await states.save(key, fetched.uidvalidity, last_uid)
    await asyncio.to_thread(mark_seen, mailbox, done)
    return len(done)


def imap_pollers(settings: IngestSettings) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    async def poll_all(runtime: Runtime) -> None:
        while True:
            for mailbox in settings.imap_mailboxes:
                try:
                    await poll_once(runtime, settings, mailbox)
                except Exception as exc:  # noqa: BLE001 - the mailbox is tried again at the next tick
                    log.warning("IMAP poll failed", extra={"mailbox": mailbox_id(mailbox), "error": repr(exc)})
            await asyncio.sleep(settings.imap_poll_seconds)

    return poll_all
