"""A real SMTP server for the tests (aiosmtpd, in a thread): records every message it accepts, and can be
told to answer a recipient with an error (421, 550…) a number of times, at RCPT or at the end of DATA."""

import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.polling import eventually
from tests.support.servers import free_port

Stage = Literal["rcpt", "data"]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def email(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.email["Message-ID"])


@dataclass
class Refusal:
    recipient: str
    reply: str
    times: int
    stage: Stage


@dataclass
class SmtpSink:
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Controller | None = None

    def start(self) -> "SmtpSink":
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, data_size_limit=50 * 1024 * 1024, ready_timeout=10
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def refuse(self, recipient: str, reply: str, *, times: int = 1, stage: Stage = "data") -> None:
        """Answer `reply` (e.g. "421 4.3.0 Busy") for mail to `recipient`, the next `times` times."""
        with self.lock:
            self.refusals.append(Refusal(recipient.lower(), reply, times, stage))

    def to(self, recipient: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if recipient.lower() in (t.lower() for t in r.rcpt_tos)]

    def _refusal(self, recipients: list[str], stage: Stage) -> str | None:
        with self.lock:
            for refusal in self.refusals:
                if refusal.stage == stage and refusal.times > 0 and refusal.recipient in recipients:
                    refusal.times -= 1
                    return refusal.reply
        return None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self._refusal([address.lower()], "rcpt")
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        reply = self._refusal([r.lower() for r in envelope.rcpt_tos], "data")
        if reply is not None:
            return reply
        data = envelope.original_content or b""
        with self.lock:
            self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), data))
            number = len(self.received)
        return f"250 2.0.0 Ok: queued as {number}"

    def with_message_id(self, message_id: str) -> list[Received]:
        wanted = f"<{message_id.strip('<>')}>"
        with self.lock:
            return [r for r in self.received if r.message_id == wanted]

    async def wait_for(self, message_id: str, timeout: float = 20.0) -> Received:
        """The one message with this Message-ID, once it has arrived."""

        async def probe() -> list[Received]:
            return self.with_message_id(message_id)

        found = await eventually(probe, lambda messages: len(messages) >= 1, timeout=timeout)
        return found[0]
