"""MIME (emails, multipart forms) read by the standard library's parser within limits it does not have.

The parser keeps every line as a string of its own (some 50 bytes, even an empty one), reads a part in
about half a millisecond and a header in a few microseconds, recurses once per nested part, and takes
time quadratic in a header's length (encoded words, parameters, addresses), which it reads again on each
question asked of it: within a 25 MB limit, empty lines took a gigabyte, tiny parts minutes of CPU,
nesting a RecursionError, 500 parts with long Content-Type parameters four minutes. Lines are counted
before parsing; parts and headers as the parser creates them, so a body over a limit is refused as soon
as it is met; each header is cut as it is read, a Content-* header to its first parameters.
"""

import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import Policy
from functools import partial
from typing import Any


class MimeLimitError(ValueError):
    """The body is over one of the limits: the message says which."""


@dataclass(frozen=True)
class MimeLimits:
    lines: int
    parts: int
    headers: int  # of all the parts together
    header_chars: int = 8192  # more is cut


# A Content-* header is read several times a part: it is cut shorter, and to its first parameters (a long
# file name split by RFC 2231 into 70-character pieces takes a dozen, some 1,000 characters).
CONTENT_HEADER_CHARS = 2000
CONTENT_PARAMETERS = 30


@dataclass
class _Budget:
    limits: MimeLimits
    parts: int = 0
    headers: int = 0


class _BoundedMessage(EmailMessage):
    """An EmailMessage whose parts and headers count against its body's budget as they are parsed, each
    header cut as it is read (its name to 200 characters)."""

    def __init__(self, policy: "Policy[Any] | None" = None, *, budget: _Budget) -> None:
        super().__init__(policy)
        budget.parts += 1
        if budget.parts > budget.limits.parts:
            raise MimeLimitError(f"it has more than {budget.limits.parts} parts")
        self._budget = budget

    def set_raw(self, name: str, value: str) -> None:
        self._budget.headers += 1
        if self._budget.headers > self._budget.limits.headers:
            raise MimeLimitError(f"it has more than {self._budget.limits.headers} headers")
        value = value[: self._budget.limits.header_chars]
        if name.lower().startswith("content-"):
            value = ";".join(value[:CONTENT_HEADER_CHARS].split(";", CONTENT_PARAMETERS + 1)[: CONTENT_PARAMETERS + 1])
        super().set_raw(name[:200], value)


def parse_bounded(raw: bytes, limits: MimeLimits) -> EmailMessage:
    """The message (policy.default's EmailMessage, its headers cut), or MimeLimitError when it is over a
    limit or nests too deeply to be read."""
    lines = raw.count(b"\n") + raw.count(b"\r") - raw.count(b"\r\n")  # as the parser splits them
    if lines > limits.lines:
        raise MimeLimitError(f"it has more than {limits.lines} lines")
    policy = email.policy.default.clone(message_factory=partial(_BoundedMessage, budget=_Budget(limits)))
    try:
        message = BytesParser(policy=policy).parsebytes(raw)
    except RecursionError:
        raise MimeLimitError("its parts or comments are nested too deeply to be read") from None
    assert isinstance(message, EmailMessage)  # noqa: S101 - the message factory builds EmailMessage
    return message
