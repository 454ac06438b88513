"""Ingest's cheap spam rules."""

import pytest

from services.ingest.spam import verdict


@pytest.mark.parametrize(
    "text",
    [
        "Best SEO services: http://a.example http://b.example http://c.example",
        "Cheap VIAGRA here",
        "Hello\u200b\u200b\u200b friend",
        "We offer guest post on your blog",
    ],
)
def test_spam_is_recognised(text: str) -> None:
    assert verdict(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Hello, is late check-in possible? We land at 23:40.",
        "See our booking https://hotel.example/b/123",
        "Bonjour, avez-vous un parking ?",
    ],
)
def test_guests_are_not_spam(text: str) -> None:
    assert verdict(text) is None
