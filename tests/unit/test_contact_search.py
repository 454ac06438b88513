"""Search keys of contacts: prefixes of names, addresses and numbers, without case or accents."""

from services.contacts.service import matches_all_words, query_key, search_keys


def test_prefixes_ignore_case_and_accents() -> None:
    keys = search_keys({"display_name": "Zoé Lefèvre", "emails": ["Zoe.L@Example.fr"], "phones": ["+33612345678"]})
    for typed in ("zo", "zoe", "lefe", "lefevre", "zoe.l@", "33612", "612345"):
        assert query_key(typed) in keys, typed
    assert query_key("ZOÉ") == "zoe"
    assert query_key("z") is None


def test_every_word_must_match() -> None:
    contact = {"display_name": "Anna Martin"}
    assert matches_all_words(contact, "anna mar")
    assert not matches_all_words(contact, "anna dupont")
