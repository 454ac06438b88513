"""The guest-HTML page: inline images embedded, SVG never, remote images only when asked, and a
policy under which nothing in the page can run."""

import asyncio

from services.inbox.conversations import guest_html

PNG = b"\x89PNG\r\n\x1a\nfake"
IMAGES = {"att_logo": ("image/png", PNG), "att_svg": ("image/svg+xml", b"<svg onload='x()'/>")}


async def read_image(attachment_id: str) -> tuple[str, bytes] | None:
    return IMAGES.get(attachment_id)


def render(body: str, remote_images: bool = False) -> str:
    inline = {"logo@x": "att_logo", "vector@x": "att_svg"}
    return asyncio.run(guest_html.page(body, inline, read_image, remote_images))


def test_inline_images_are_embedded_as_data_urls() -> None:
    page = render('<img src="cid:logo@x" alt="logo">')
    assert 'src="data:image/png;base64,iVBORw0KGgpmYWtl"' in page
    assert "cid:" not in page


def test_svg_and_unknown_inline_images_are_not_embedded() -> None:
    page = render('<img src="cid:vector@x"><img src="cid:nobody@x">')
    assert "svg" not in page
    assert page.count("data-missing-image") == 2


def test_remote_images_load_only_when_asked() -> None:
    body = '<img data-remote-src="https://tracker.example/p.gif" alt="x">'
    assert ' src="https://tracker.example' not in render(body)
    assert '<img src="https://tracker.example/p.gif" alt="x">' in render(body, remote_images=True)
    assert guest_html.remote_image_count(body) == 1


def test_the_policy_sandboxes_the_page_and_blocks_remote_images_by_default() -> None:
    blocked, allowed = guest_html.policy(False), guest_html.policy(True)
    assert "sandbox" in blocked
    assert "allow-scripts" not in blocked
    assert "allow-same-origin" not in blocked
    assert "default-src 'none'" in blocked
    assert "img-src data:;" in blocked
    assert "img-src data: https: http:;" in allowed
