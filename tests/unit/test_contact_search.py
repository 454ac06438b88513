"""Search keys of contacts: prefixes of names, addresses and numbers, without case or accents."""

from services.contacts.phones import national_digits, to_e164
from services.contacts.service import matches_all_words, query_key, search_keys


def test_prefixes_ignore_case_and_accents() -> None:
    keys = search_keys({"display_name": "Zoé Lefèvre", "emails": ["Zoe.L@Example.fr"], "phones": ["+33612345678"]})
    for typed in ("zo", "zoe", "lefe", "lefevre", "zoe.l@", "33612", "0612"):
        assert query_key(typed) in keys, typed
    assert query_key("ZOÉ") == "zoe"
    assert query_key("z") is None


def test_every_word_must_match() -> None:
    contact = {"display_name": "Anna Martin"}
    assert matches_all_words(contact, "anna mar")
    assert not matches_all_words(contact, "anna dupont")


def test_phones_become_e164() -> None:
    assert to_e164("06 12 34 56 78", "FR") == "+33612345678"
    assert to_e164("+44 20 7946 0000", "FR") == "+442079460000"
    assert to_e164("call me", "FR") is None
    assert national_digits("+33612345678") == "0612345678"
