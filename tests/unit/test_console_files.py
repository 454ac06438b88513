"""The console's files keep their promises without a browser: no way for guest text to become HTML or
code, no inline script (the page's CSP forbids it anyway), and every text in both languages."""

import re
from pathlib import Path

import pytest

CONSOLE = Path(__file__).resolve().parents[2] / "services" / "inbox" / "console"
SCRIPTS = sorted((CONSOLE / "js").glob("*.js"))


def messages(language: str) -> set[str]:
    source = (CONSOLE / "js" / "i18n.js").read_text()
    block = re.search(rf"\n  {language}: \{{(.*?)\n  \}},", source, re.DOTALL)
    assert block, f"no {language} messages in i18n.js"
    return set(re.findall(r'"([a-z_]+\.[a-z_.]+)":', block.group(1)))


def test_both_languages_have_the_same_messages() -> None:
    assert messages("fr") == messages("en")


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_every_literal_message_key_exists(path: Path) -> None:
    known = messages("en")
    used = set(re.findall(r'\bt\("([a-z_]+\.[a-z_.]+)"', path.read_text()))
    used |= set(re.findall(r'data-i18n(?:-placeholder|-title)?="([a-z_.]+)"', (CONSOLE / "index.html").read_text()))
    assert used - known == set()


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_no_script_builds_html_from_text_or_runs_strings(path: Path) -> None:
    source = path.read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "srcdoc"):
        assert sink not in source, f"{path.name} uses {sink}"


def test_the_page_has_no_inline_script_or_style() -> None:
    page = (CONSOLE / "index.html").read_text()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert "<style" not in page
    assert " style=" not in page
    assert not re.search(r"\son[a-z]+=", page), "no inline event handler"
