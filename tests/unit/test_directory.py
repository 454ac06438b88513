"""Pure rules of the directory: initials and template filling."""

from services.inbox.directory import fill_template, initials_of


def test_initials() -> None:
    assert initials_of("Anna Martin") == "AM"
    assert initials_of("Jean-Luc Picard") == "JLP"
    assert initials_of("  zoé  ") == "Z"


def test_fill_template_keeps_unknown_placeholders_and_other_braces() -> None:
    body = "Bonjour {guest_first_name}, bienvenue à {hotel_name} {unknown} {not a placeholder} }{"
    filled = fill_template(body, {"guest_first_name": "Anna", "hotel_name": "Opéra"})
    assert filled == "Bonjour Anna, bienvenue à Opéra {unknown} {not a placeholder} }{"
