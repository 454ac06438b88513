"""Search keys of contacts: prefixes of names, addresses and numbers, without case or accents."""

from services.contacts.phones import national_digits, to_e164
from services.contacts.repository import MAX_PARALLEL, next_width
from services.contacts.search_words import matches_all_words, query_key, search_keys


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


def test_the_next_look_up_reads_the_buckets_the_rate_so_far_calls_for() -> None:
    # Nothing yet: twice as many as last time, up to the cap.
    assert next_width(1, matched=0, read=1, missing=10) == 2
    assert next_width(MAX_PARALLEL, matched=0, read=60, missing=10) == MAX_PARALLEL
    # 3 matches in 1 bucket and 7 missing: 7 / 3 buckets, with half again as margin.
    assert next_width(1, matched=3, read=1, missing=7) == 4
    # A rare word: 1 match in 8 buckets, 9 missing, as many at once as allowed.
    assert next_width(4, matched=1, read=8, missing=9) == MAX_PARALLEL
    assert next_width(2, matched=9, read=3, missing=1) == 1
