"""Hypothesis strategies for hostile values in JSON, urlencoded and multipart bodies and chat frames."""

from typing import Any

from hypothesis import strategies as st


def is_utf8(text: str) -> bool:
    """Whether the text can travel as UTF-8 (it holds no lone surrogate)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


# Unicode's and parsers' edge cases; `\ud800` and `\udfff` travel as JSON escapes (lone surrogates).
EDGE_TEXTS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfff",
    "\ufeff",
    "\u202eevil",
    "\u200b",
    "\u2028\u2029",
    "\x1f\x1c",
    "\x7f",
    "\r\n",
    "e\u0301",
    "🏨",
    "\U0010ffff",
    "\ufffd",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "' OR 1=1 --",
    '{"$gt": ""}',
    "$where",
    "../../etc/passwd",
    "%00",
    "\\u0000",
]
any_text = st.text(st.characters() | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=30)


def _repeated(max_repeat: int) -> st.SearchStrategy[str]:
    pieces = st.sampled_from(["x", "é ", "🏨", "\u200b", " "])
    return st.builds(lambda piece, times: piece * times, pieces, st.integers(1, max_repeat))


def hostile_texts(max_repeat: int = 30_000) -> st.SearchStrategy[str]:
    """Any text: NUL, lone surrogates, control and invisible characters, markup, huge."""
    return (
        st.sampled_from(EDGE_TEXTS)
        | any_text
        | _repeated(max_repeat)
        | st.lists(st.sampled_from(EDGE_TEXTS) | any_text, max_size=4).map("".join)
    )


def odd_texts(max_repeat: int) -> st.SearchStrategy[str]:
    """Text a guest may well send (no NUL, no lone surrogate), odd as it is: markup, invisible and
    combining characters, right-to-left overrides, emoji, up to `max_repeat` long."""
    storable = [text for text in EDGE_TEXTS if is_utf8(text) and "\x00" not in text]
    characters = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
    return st.lists(st.sampled_from(storable) | st.text(characters, max_size=20), min_size=1, max_size=4).map(
        "".join
    ) | _repeated(max_repeat)


def hostile_values() -> st.SearchStrategy[Any]:
    """Any JSON value, of any type, nested a little."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.sampled_from([10**30, -(2**63), 2**64])
        | st.floats()  # NaN and infinities go out as JSON's extensions NaN and Infinity
        | hostile_texts()
    )
    return st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3), max_leaves=8
    )


def bodies(
    required: dict[str, st.SearchStrategy[Any]], optional: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    """A plausible body, then up to two of its fields made hostile (any JSON value) or left out, and
    unknown fields added: about half are valid, the others refused for one or two reasons."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        body = draw(st.dictionaries(any_text, hostile_values(), max_size=2))
        body.update(draw(st.fixed_dictionaries(required, optional=optional)))
        for name in draw(st.lists(st.sampled_from(sorted(required | optional)), max_size=2, unique=True)):
            if draw(st.booleans()):
                body[name] = draw(hostile_values())
            else:
                body.pop(name, None)
        return body

    return build()
