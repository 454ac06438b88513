"""Phone numbers as E.164 (`+33612345678`), whatever way the guest or the agent typed them."""

import phonenumbers


def to_e164(number: str, default_region: str) -> str | None:
    """The number in E.164, reading national numbers in `default_region`; None if it is no number."""
    try:
        parsed = phonenumbers.parse(number, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def national_digits(e164: str) -> str | None:
    """How the number is dialled at home ('0612345678' for '+33612345678'), for search."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(ch for ch in national if ch.isdigit()) or None
