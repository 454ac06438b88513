"""A guest's HTML message as a document of its own, for the console's sandboxed iframe.

The HTML was sanitized by ingest (nh3: no script, style, event handler, form, `javascript:` URL), and
remote images were parked in `data-remote-src`, so opening a message never tells a tracker that it
was read. This page adds the second wall: a CSP with `sandbox` (no script runs, the document has an
opaque origin, so it cannot read the console or its cookies) and `img-src` limited to the message's
own inline images, embedded as `data:` URLs; remote images load only when the agent asks for them.
"""

import base64
import html
import re
from collections.abc import Awaitable, Callable, Mapping

# Inline images embedded in the page; SVG is never among them (it can carry script).
EMBEDDABLE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MAX_EMBEDDED_BYTES = 5 * 1024 * 1024
_CID = re.compile(r'src="cid:([^"]{1,500})"', re.IGNORECASE)
_PARKED = re.compile(r'data-remote-src="(https?://[^"\s]{1,2000})"', re.IGNORECASE)

ReadImage = Callable[[str], Awaitable[tuple[str, bytes] | None]]


def policy(remote_images: bool) -> str:
    images = "data: https: http:" if remote_images else "data:"
    return (
        f"default-src 'none'; img-src {images}; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"
    )


def remote_image_count(body: str) -> int:
    return len(_PARKED.findall(body))


async def page(body: str, inline: Mapping[str, str], read_image: ReadImage, remote_images: bool) -> str:
    """The document: inline (cid:) images embedded, remote ones restored only if `remote_images`.

    `inline` maps a content id to the attachment id; `read_image` gives an attachment's type and bytes.
    """
    embedded = 0
    replacements: dict[str, str] = {}
    for content_id in dict.fromkeys(_CID.findall(body)):
        attachment_id = inline.get(html.unescape(content_id).strip("<>"))
        found = await read_image(attachment_id) if attachment_id else None
        if found is None or found[0] not in EMBEDDABLE_IMAGES or embedded + len(found[1]) > MAX_EMBEDDED_BYTES:
            replacements[content_id] = 'src="" data-missing-image=""'
            continue
        embedded += len(found[1])
        replacements[content_id] = f'src="data:{found[0]};base64,{base64.b64encode(found[1]).decode()}"'
    body = _CID.sub(lambda match: replacements[match.group(1)], body)
    if remote_images:
        body = _PARKED.sub(r'src="\1"', body)
    return (
        '<!doctype html><html><head><meta charset="utf-8"><base target="_blank">'
        "<style>body{font-family:sans-serif;margin:0;overflow-wrap:anywhere}img{max-width:100%}</style>"
        f"</head><body>{body}</body></html>"
    )
