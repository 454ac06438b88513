"""Hypothesis strategies for hostile inbound email, as the raw bytes a mail server would hand over.

A message is a random MIME tree (nested multipart/mixed, alternative, related…, with missing or wrong
boundaries), each part with a random or bogus charset and transfer encoding, bodies encoded right or
broken (base64, quoted-printable), hostile HTML and file names, and headers that are missing,
duplicated, huge, folded, 8-bit or garbage. Then the bytes themselves may be mutated (flipped,
inserted, deleted, truncated, line ends changed). Sizes come from repeating short pieces, so a 200 kB
body costs no more to generate than a 20-byte one.
"""

import base64
import quopri
from dataclasses import dataclass

from hypothesis import strategies as st

CRLF = b"\r\n"

# Real ones, ones Python cannot decode with (text-to-text or bytes-to-bytes codecs, unknown names) and
# one that turns `\ud800` escapes into lone surrogates.
CHARSETS = [
    "utf-8",
    "UTF-8",
    "iso-8859-1",
    "windows-1252",
    "koi8-r",
    "shift_jis",
    "utf-16",
    "utf-7",
    "us-ascii",
    "utf-8-sig",
    "unicode-escape",
    "raw-unicode-escape",
    "rot13",
    "base64",
    "zlib",
    "idna",
    "punycode",
    "bogus-charset",
    "x-unknown",
    "",
    '"utf-8',
    "utf-8\x00",
]
CONTENT_TYPES = [
    "text/plain",
    "text/html",
    "text/enriched",
    "image/png",
    "image/svg+xml",
    "application/octet-stream",
    "application/pdf",
    "message/rfc822",
    "message/delivery-status",
    "multipart/mixed",  # a multipart leaf: no boundary, or no parts
    "text/",
    "/",
    "text/plain/extra",
    "",
    "garbage",
]
ENCODINGS = ["7bit", "8bit", "binary", "base64", "BASE64", "quoted-printable", "x-uuencode", "x-garbage", ""]
MULTIPART_KINDS = ["mixed", "alternative", "related", "report", "digest", "signed", "x-weird"]
HOSTILE_HTML = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<svg onload=alert(1)><script>alert(2)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text y='20'>x</text></a></svg>",
    "<img src=x onerror=alert(1)>",
    '<img src="cid:logo" onmouseover="alert(1)">',
    '<img src="https://tracker.example/p.gif">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href=" JaVaScRiPt:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">y</div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<!--<script>alert(1)</script>-->",
    '<form action="javascript:x"><button formaction=javascript:alert(1)>b</button></form>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:/">',
    '<p title="&quot; onclick=&quot;alert(1)">t</p>',
    '<table background="javascript:alert(1)"><tr><td onclick="x()">c</td></tr></table>',
    "<xmp><script>alert(1)</script></xmp>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<a href="',
    "<p>Bonjour, nous arrivons à 23h40.</p>",
    "onclick=alert(1) javascript:alert(1) text, not markup",
]
TEXTS = [
    "Bonjour, nous arrivons à 23h40.",
    "Late check-in please",
    "Zoë — «Réservation» 東京 🏨",
    "\u202eevil\u202c",
    "\x00nul\x00",
    "\\ud800 lone \\udfff escapes",
    ".\r\n.\r\n",
    "From the sea\r\n>From quoted",
    "=?utf-8?q?not_a_header?=",
    "",
]
FILENAMES = [
    "../../etc/passwd",
    "..\\..\\windows\\system32\\cmd.exe",
    "evil\x00.txt",
    "\u202egnp.exe",
    "CON",
    "<script>alert(1)</script>.html",
    "/absolute/path.pdf",
    '"quoted\\"name".txt',
    "=?utf-8?b?w6l0w6kucGRm?=",
    "=?bogus?q?x?=",
    "",
    " ",
    "photo.jpg",
]
FROMS = [
    b"Claire Dubois <claire@example.com>",
    b"claire@example.com",
    b"<<<@@@>>>",
    b"=?utf-8?b?Wm/DqQ==?= <zoe@example.fr>",
    b"=?bogus?q?x?= <g@example.com>",
    b"=?unicode-escape?q?\\ud800?= <g@example.com>",
    b"=?utf-8?q?unterminated <g@example.com>",
    b"\xff\xfe <g@example.com>",
    b"undisclosed-recipients:;",
    b"alice@example.com@evil.example",
    b'"a@b"@c',
    b"(comment) g@example.com (x)",
    b"g\x00@example.com",
    b"MAILER-DAEMON@mx.example.com",
    b"",
]
# Senders the hub can answer, under hostile names: with these, a message's body gets read.
READABLE_FROMS = [
    b"Claire Dubois <claire@example.com>",
    b"claire@example.com",
    b"=?utf-8?b?Wm/DqQ==?= <zoe@example.fr>",
    b"=?bogus?q?x?= <g@example.com>",
    b"=?unicode-escape?q?\\ud800?= <g@example.com>",
    b"\xff\xfe <g@example.com>",
    b"(comment) g@example.com (x)",
    b'"Zo\xc3\xab \\"x\\"" <zoe@example.fr>',
]
MESSAGE_IDS = [
    b"<m1@example.com>",
    b"no-brackets@example.com",
    b"<>",
    b"<a\x00b@example.com>",
    b"<a\x01b\x7f@example.com>",
    b"<\xff\xfe@example.com>",
    b"<=?utf-8?q?x?=@example.com>",
    b"<a@b> <c@d> <e@f>",
]
SUBJECTS = [
    b"Late check-in",
    b"=?utf-8?q?R=C3=A9servation?=",
    b"=?iso-8859-1?q?R=E9servation?=",
    b"=?bogus?b?AAAA?=",
    b"=?utf-8?b?!!!not base64?=",
    b"=?unicode-escape?q?x\\ud800y?=",
    b"=?utf-8?q?unterminated",
    b"caf\xe9 \xff\xfe",
    b"Out of office: back Monday",
    b"",
]
HEADER_NAMES = [
    b"X-Junk",
    b"X-\xff\xfe",
    b"Content-Type",
    b"Content-Transfer-Encoding",
    b"Content-Disposition",
    b"MIME-Version",
    b"In-Reply-To",
    b"References",
    b"Auto-Submitted",
    b"Reply-To",
    b"Cc",
    b"Date",
    b"Received",
    b"Return-Path",
    b" leading-space",
    b"",
]
HEADER_VALUES = [
    b"",
    b"x",
    b"<a@b>",
    b"multipart/mixed; boundary=",
    b"text/html; charset=bogus",
    b"base64",
    b"attachment; filename*=bogus''%FF%00",
    b"attachment; filename*0*=utf-8''%E2%80; filename*1=x",
    b"Mon, 32 Foo 99999 99:99:99 +9999",
    b"=?utf-8?q?=00?=",
    b"\x00\x01\x02",
    b"\xc3\x28 broken utf-8",
    b"no-colon-line-follows\r\nthis line has no colon",
]


@dataclass(frozen=True)
class Leaf:
    content_type: str
    charset: str | None
    encoding: str | None
    body: bytes
    filename: str | None
    disposition: str | None
    content_id: bytes | None


@dataclass(frozen=True)
class Multipart:
    kind: str
    boundary: str | None  # None: the Content-Type names none
    parts: list["Leaf | Multipart"]
    preamble: bytes
    close: bool  # whether the closing boundary is there


def _repeat(pieces: list[str], max_times: int) -> st.SearchStrategy[str]:
    """A piece repeated up to `max_times`: long lines and huge bodies without generating every byte."""
    return st.builds(lambda piece, times: piece * times, st.sampled_from(pieces), st.integers(1, max_times))


def _text(max_times: int) -> st.SearchStrategy[str]:
    surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
    free = st.text(st.characters(codec="utf-8"), max_size=40) | st.text(st.characters() | surrogates, max_size=40)
    piece = st.sampled_from(HOSTILE_HTML + TEXTS) | free | _repeat(["x", "é", "a b ", "<b>", "\r\n"], max_times)
    return st.lists(piece, max_size=6).map("".join)


def _encode(text: str, charset: str | None) -> bytes:
    try:
        return text.encode(charset or "utf-8", errors="surrogateescape")
    except (LookupError, UnicodeError, TypeError, ValueError):
        return text.encode("utf-8", errors="surrogatepass")


def _transfer_encode(data: bytes, encoding: str | None, broken: int) -> bytes:
    """The body as the transfer encoding says, or broken: `broken` 1 garbles it, 2 truncates it."""
    kind = (encoding or "").lower()
    if kind == "base64":
        encoded = base64.encodebytes(data)
        if broken == 1:
            encoded = encoded.replace(b"A", b"!").replace(b"=", b"")
        elif broken == 2:
            encoded = encoded[: max(1, len(encoded) // 2 - 1)]
        return encoded
    if kind == "quoted-printable":
        encoded = quopri.encodestring(data)
        if broken == 1:
            encoded += b"=Z\r\n=\r\n=4"
        elif broken == 2:
            encoded = encoded.replace(b"=", b"=\r\n")
        return encoded
    return data


@st.composite
def _leaf(draw: st.DrawFn, max_times: int) -> Leaf:
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    charset = draw(st.none() | st.sampled_from(CHARSETS))
    encoding = draw(st.none() | st.sampled_from(ENCODINGS))
    if content_type.startswith(("image/", "application/")):
        data = draw(st.binary(max_size=64) | st.just(b"\x89PNG\r\n\x1a\n" + b"0" * 32) | st.just(b"<svg onload=x>"))
    elif content_type == "message/rfc822":
        data = b"From: inner@example.com\r\nSubject: inner\r\n\r\n" + _encode(draw(_text(max_times)), "utf-8")
    else:
        data = _encode(draw(_text(max_times)), charset)
    body = _transfer_encode(data, encoding, draw(st.integers(0, 2)))
    attached = draw(st.booleans())
    return Leaf(
        content_type=content_type,
        charset=charset,
        encoding=encoding,
        body=body,
        filename=draw(st.none() | st.sampled_from(FILENAMES) | _repeat(["a", "é/"], max_times)) if attached else None,
        disposition=draw(st.sampled_from(["attachment", "inline", "form-data", "garbage"])) if attached else None,
        content_id=draw(st.none() | st.sampled_from([b"<logo>", b"logo", b"<\x00>", b"<" + b"c" * 3000 + b">"])),
    )


def _tree(max_times: int) -> st.SearchStrategy[Leaf | Multipart]:
    def multipart(children: st.SearchStrategy[Leaf | Multipart]) -> st.SearchStrategy[Leaf | Multipart]:
        return st.builds(
            Multipart,
            kind=st.sampled_from(MULTIPART_KINDS),
            boundary=st.none() | st.sampled_from(["b1", "==b2==", "x" * 80, "", " spaced boundary", '"q"']),
            parts=st.lists(children, max_size=4),
            preamble=st.sampled_from([b"", b"This is a multi-part message.\r\n", b"--b1\r\n"]),
            close=st.booleans(),
        )

    return st.recursive(_leaf(max_times), multipart, max_leaves=10)


def _param(name: str, value: str) -> bytes:
    return f'; {name}="{value}"'.encode("utf-8", errors="surrogatepass")


def _render(node: Leaf | Multipart, depth: int = 0) -> tuple[list[bytes], bytes]:
    """The content headers and the body of a node."""
    if isinstance(node, Leaf):
        content_type = node.content_type.encode()
        if node.charset is not None:
            content_type += _param("charset", node.charset)
        if node.filename is not None:
            content_type += _param("name", node.filename)
        headers = [b"Content-Type: " + content_type] if node.content_type else []
        if node.encoding is not None:
            headers.append(b"Content-Transfer-Encoding: " + node.encoding.encode())
        if node.disposition is not None:
            disposition = node.disposition.encode()
            if node.filename is not None:
                disposition += _param("filename", node.filename)
            headers.append(b"Content-Disposition: " + disposition)
        if node.content_id is not None:
            headers.append(b"Content-ID: " + node.content_id)
        return headers, node.body
    boundary = node.boundary if node.boundary is not None else f"unnamed{depth}"
    content_type = f"multipart/{node.kind}".encode()
    if node.boundary is not None:
        content_type += _param("boundary", node.boundary)
    body = node.preamble
    for child in node.parts:
        child_headers, child_body = _render(child, depth + 1)
        body += b"--" + boundary.encode() + CRLF + CRLF.join(child_headers) + CRLF + CRLF + child_body + CRLF
    if node.close:
        body += b"--" + boundary.encode() + b"--" + CRLF
    return [b"Content-Type: " + content_type], body


@st.composite
def _top_headers(draw: st.DrawFn, recipient: str, max_times: int, readable_sender: bool) -> list[bytes]:
    headers: list[bytes] = []
    if readable_sender:
        headers.append(b"From: " + draw(st.sampled_from(READABLE_FROMS)))
    for _ in range(draw(st.sampled_from([1, 1, 1, 0, 2]))):  # From: usually one, sometimes none or two
        headers.append(b"From: " + draw(st.sampled_from(FROMS) | _repeat(["A"], max_times).map(str.encode)))
    headers.append(b"To: " + recipient.encode())
    for _ in range(draw(st.sampled_from([1, 1, 0, 2]))):
        headers.append(b"Message-ID: " + draw(st.sampled_from(MESSAGE_IDS) | _long_message_id(max_times)))
    subject = draw(st.sampled_from(SUBJECTS) | _repeat(["word ", "=?utf-8?q?=C3=A9?= "], max_times).map(str.encode))
    if draw(st.booleans()):  # folded over many lines
        subject = subject.replace(b" ", CRLF + b" ")
    headers.append(b"Subject: " + subject)
    if draw(st.booleans()):
        headers.append(b"MIME-Version: 1.0")
    names, values = st.sampled_from(HEADER_NAMES), st.sampled_from(HEADER_VALUES)
    for name, value in draw(st.lists(st.tuples(names, values), max_size=6)):
        headers.append(name + b": " + value)
    many = draw(st.sampled_from([0, 0, 0, 150]))  # more headers than anyone keeps
    headers += [f"X-Many-{n}: {n}".encode() for n in range(many)]
    if draw(st.integers(0, 5)) == 0:  # one huge header, on one line or folded
        fold = draw(st.sampled_from([b" ", CRLF + b"\t"]))
        headers.append(b"X-Huge: " + fold.join([b"v" * 70] * draw(st.integers(1, max(1, max_times // 70)))))
    return headers


def _long_message_id(max_times: int) -> st.SearchStrategy[bytes]:
    return st.integers(1, max_times).map(lambda n: b"<" + b"i" * n + b"@example.com>")


@dataclass(frozen=True)
class Mutation:
    kind: str
    at: float  # where, as a fraction of the length
    size: int
    data: bytes


def _mutate(raw: bytes, mutations: list[Mutation]) -> bytes:
    for mutation in mutations:
        at = int(mutation.at * len(raw))
        if mutation.kind == "flip" and raw:
            at = min(at, len(raw) - 1)
            raw = raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1 :]
        elif mutation.kind == "insert":
            raw = raw[:at] + mutation.data + raw[at:]
        elif mutation.kind == "delete":
            raw = raw[:at] + raw[at + mutation.size :]
        elif mutation.kind == "duplicate":
            raw = raw[:at] + raw[at : at + mutation.size] * 2 + raw[at + mutation.size :]
        elif mutation.kind == "truncate":
            raw = raw[:at]
        elif mutation.kind == "lf":
            raw = raw.replace(CRLF, b"\n")
        elif mutation.kind == "cr":
            raw = raw.replace(CRLF, b"\r")
    return raw


MUTATIONS = st.lists(
    st.builds(
        Mutation,
        kind=st.sampled_from(["flip", "insert", "delete", "duplicate", "truncate", "lf", "cr"]),
        at=st.floats(0, 1),
        size=st.integers(1, 64),
        data=st.binary(max_size=8) | st.sampled_from([b"\x00", b"\r", b"\n", b"\r\n\r\n", b"\xff", b"--b1--\r\n"]),
    ),
    max_size=3,
)


def hostile_emails(
    recipient: str, *, max_times: int = 20_000, mutate: bool = True, readable_sender: bool = False
) -> st.SearchStrategy[bytes]:
    """Raw emails addressed to `recipient` (so they reach a hotel when the rest allows); `max_times` bounds
    how often a piece repeats (line lengths, body and header sizes). With `readable_sender`, the first From
    is one the hub can answer (the others may still be garbage), so most messages get past it."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        headers = draw(_top_headers(recipient, max_times, readable_sender))
        content_headers, body = _render(draw(_tree(max_times)))
        wrappers = []  # nested deeper than any mail, innermost first
        for depth in range(draw(st.sampled_from([0] * 5 + [60] + [0] * 5))):  # not at an end, which are favoured
            wrappers.append(b"--deep%d" % depth + CRLF + CRLF.join(content_headers) + CRLF + CRLF)
            content_headers = [b'Content-Type: multipart/mixed; boundary="deep%d"' % depth]
        body = b"".join(reversed(wrappers)) + body
        raw = CRLF.join(headers + content_headers) + CRLF + CRLF + body
        return _mutate(raw, draw(MUTATIONS)) if mutate else raw

    return build()
