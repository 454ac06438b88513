"""Sending one email over SMTP, with a commit point the caller records before the server can accept it.

SMTP cannot be asked afterwards whether it accepted a message, so the outcome of an attempt that
dies (kill -9) is unknown to the next one. The message's end-of-data mark (`.`) is what makes the
server accept it: until the server has it, a dropped connection discards the transaction. So the
content goes out first, then notify's commit mark (commits.py) and the final `.` are written in
one event-loop step. An attempt that died before the mark never completed the transaction
and can be sent again; one that died after it is taken as sent and never sent twice.
"""

import re
import ssl
from dataclasses import dataclass, field
from typing import Protocol

import aiosmtplib
from aiosmtplib.protocol import SMTPProtocol

from .settings import NotifySettings

_PERIOD = re.compile(rb"(?m)^\.")
_LINE_ENDINGS = re.compile(rb"\r\n|\r|\n")


class CommitHook(Protocol):
    """What the sender records around the end of data (commits.Mark)."""

    async def prepare(self) -> None:
        """Anything that needs waiting for, before the content's end."""

    def write(self) -> None:
        """Runs in the same event-loop step as the final `.`: it must not wait for anything."""


class SmtpFailure(Exception):
    """The server refused the message, or could not be reached; `temporary` says whether to retry."""

    def __init__(self, reason: str, *, temporary: bool, committed: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary
        # This attempt's commit mark was used (a refusal after the `.`, or a failure right around it):
        # the next attempt needs a mark of its own.
        self.committed = committed


class UnconfirmedError(Exception):
    """The end-of-data mark went out but no answer came: the server may well have the message."""


@dataclass
class Accepted:
    response: str
    refused: dict[str, str] = field(default_factory=dict)  # recipients the server would not take


def _reason(code: int, message: str) -> str:
    return f"{code} {' '.join(message.split())}"[:500]


def _failure(code: int, message: str, *, committed: bool = False) -> SmtpFailure:
    return SmtpFailure(_reason(code, message), temporary=400 <= code < 500, committed=committed)


def _client(settings: NotifySettings) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_tls,
        start_tls=settings.smtp_starttls,
        timeout=settings.smtp_timeout_seconds,
        tls_context=ssl.create_default_context() if settings.smtp_tls or settings.smtp_starttls else None,
    )


async def send(
    settings: NotifySettings,
    sender: str,
    recipients: list[str],
    content: bytes,
    hook: CommitHook,
) -> Accepted:
    client = _client(settings)
    try:
        await client.connect()
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            await client.login(settings.smtp_username, password)
        await client.mail(sender)
        refused: dict[str, str] = {}
        temporary = False
        for recipient in recipients:
            try:
                await client.rcpt(recipient)
            except aiosmtplib.SMTPRecipientRefused as exc:
                refused[recipient] = _reason(exc.code, exc.message)
                temporary = temporary or 400 <= exc.code < 500
        if len(refused) == len(recipients):
            reasons = "; ".join(f"{r}: {why}" for r, why in refused.items())
            raise SmtpFailure(reasons, temporary=temporary)
        if client.protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        response = await _data_in_two_phases(client.protocol, content, hook, settings.smtp_timeout_seconds)
        return Accepted(response=_reason(response.code, response.message), refused=refused)
    except aiosmtplib.SMTPResponseException as exc:
        raise _failure(exc.code, exc.message) from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        # Connection refused, reset, timed out, TLS trouble: worth another try later.
        raise SmtpFailure(f"SMTP server unavailable: {exc}"[:500], temporary=True) from exc
    finally:
        client.close()


async def _data_in_two_phases(
    protocol: SMTPProtocol, content: bytes, hook: CommitHook, timeout: float
) -> aiosmtplib.SMTPResponse:
    """aiosmtplib's DATA (`execute_data_command`), with the commit hook between the content and the `.`.

    aiosmtplib expects a reply only after a command it marked as pending (`_response_pending`);
    this mirrors what its own DATA does. Pinned to aiosmtplib 5.x in pyproject.
    """
    protocol._response_pending = True  # see the docstring
    protocol.write(b"DATA\r\n")
    start = await protocol.read_response(timeout=timeout)
    if start.code != aiosmtplib.SMTPStatus.start_input:
        raise aiosmtplib.SMTPDataError(start.code, start.message)
    body = _PERIOD.sub(b"..", _LINE_ENDINGS.sub(b"\r\n", content))
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    protocol.write(body)
    try:
        await hook.prepare()
        # From here to the `.`, nothing is awaited: the mark and the end of data leave together.
        hook.write()
        protocol._response_pending = True
        protocol.write(b".\r\n")
    except Exception as exc:
        # The mark may exist although the `.` never went out: the next attempt must use a new mark.
        raise SmtpFailure(f"not sent, will retry: {exc!r}"[:500], temporary=True, committed=True) from exc
    try:
        response = await protocol.read_response(timeout=timeout)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise UnconfirmedError(str(exc)) from exc
    if response.code != aiosmtplib.SMTPStatus.completed:
        raise _failure(response.code, response.message, committed=True)
    return response
