"""The SMTP receiver (aiosmtpd) for forwarded mail and MX delivery: `250` only once JetStream has it."""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from shared import tracing
from shared.messaging import PublishFailedError
from shared.runtime import Runtime

from .backpressure import Budget
from .email_intake import UnreadableEmailError, accept_email, destination_of
from .hotels import HotelsUnavailableError, KnownHotels
from .metrics import INBOUND_REJECTED
from .settings import IngestSettings

log = logging.getLogger(__name__)


class MailHandler:
    def __init__(self, runtime: Runtime, settings: IngestSettings, budget: Budget, hotels: KnownHotels) -> None:
        self.runtime, self.settings, self.budget, self.hotels = runtime, settings, budget, hotels

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        destination = destination_of(address, self.settings)
        try:
            known = destination is not None and await self.hotels.exists(destination.location_id)
        except HotelsUnavailableError:
            return "451 4.3.0 Cannot check this mailbox now; try again later"
        if not known:
            INBOUND_REJECTED.labels(channel="email", reason="unknown_recipient").inc()
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        with self.budget.slot() as admitted:
            if not admitted:
                INBOUND_REJECTED.labels(channel="email", reason="overloaded").inc()
                return "451 4.3.2 Too many messages being stored right now; try again later"
            with tracing.serving("smtp DATA"):
                return await self._accept(raw, envelope)

    async def _accept(self, raw: bytes, envelope: Envelope) -> str:
        try:
            outcome = await accept_email(
                self.runtime,
                self.settings,
                raw,
                list(envelope.rcpt_tos),
                hotel_exists=self.hotels.exists,
                envelope_sender=envelope.mail_from or "",
            )
        except UnreadableEmailError as exc:
            INBOUND_REJECTED.labels(channel="email", reason="unreadable").inc()
            return f"550 5.6.0 Message refused: {exc}"
        except (PublishFailedError, HotelsUnavailableError):
            return "451 4.3.0 Could not store the message now; try again later"
        except Exception:
            log.exception("email could not be processed")
            return "451 4.3.0 Temporary failure; try again later"
        return "250 2.0.0 Accepted" if outcome.key else "250 2.0.0 Accepted (delivery report, not routed)"


def smtp_receiver(
    settings: IngestSettings, budget: Budget, hotels: KnownHotels
) -> Callable[[Runtime], Coroutine[Any, Any, None]]:
    async def serve(runtime: Runtime) -> None:
        if settings.smtp_port == 0:
            return
        handler = MailHandler(runtime, settings, budget, hotels)

        def protocol() -> SMTP:
            return SMTP(
                handler,
                data_size_limit=settings.email_max_bytes,
                command_call_limit=settings.smtp_command_call_limit,
                enable_SMTPUTF8=True,
                decode_data=False,
                hostname="hub-ingest",
            )

        server = await asyncio.get_running_loop().create_server(protocol, settings.smtp_host, settings.smtp_port)
        log.info("SMTP receiver listening", extra={"port": settings.smtp_port})
        try:
            await asyncio.Event().wait()
        finally:
            server.close()
            await server.wait_closed()

    return serve
