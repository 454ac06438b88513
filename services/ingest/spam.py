"""Cheap spam rules for the public text channels (forms, chat). A hit sends the new request straight
to the spam view; an agent's "not spam" brings it back, and later messages do not undo that."""

import asyncio
import logging
import re

_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
_PHRASES = re.compile(
    r"\b(viagra|cialis|casino|crypto ?currency|bitcoin|forex|seo (services|agency)|backlinks?|loan offer|"
    r"click here|buy now|make money|work from home|100% free|guest ?post)\b",
    re.IGNORECASE,
)
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")
MAX_LINKS = 3
_SPAMD = re.compile(rb"Spam: (True|False) ; (-?[0-9.]+) / (-?[0-9.]+)")
log = logging.getLogger(__name__)


def verdict(text: str, subject: str = "") -> str | None:
    """Why the message looks like spam, or None."""
    content = f"{subject}\n{text}"
    links = len(_URL.findall(content))
    if links >= MAX_LINKS:
        return f"{links} links"
    if phrase := _PHRASES.search(content):
        return f"spam phrase {phrase.group(0).lower()!r}"
    if len(_INVISIBLE.findall(content)) >= 3:
        return "invisible characters"
    return None


async def spamassassin(raw: bytes, host: str, port: int, timeout: float = 5.0) -> str | None:
    """Ask SpamAssassin's spamd (SPAMC protocol, CHECK) whether a mail is spam; None when it is not,
    or when spamd cannot answer in time (the mail is then judged by people, not lost)."""
    request = b"CHECK SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(raw) + raw
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            await writer.drain()
            writer.write_eof()
            # spamd closes the connection after its answer; one read may return only its first line.
            answer = await reader.read()
            writer.close()
    except (OSError, TimeoutError) as exc:
        log.warning("spamd did not answer; the mail is kept as is", extra={"error": repr(exc)})
        return None
    found = _SPAMD.search(answer)
    if found is None or found.group(1).lower() != b"true":
        return None
    return f"SpamAssassin score {found.group(2).decode()} / {found.group(3).decode()}"
