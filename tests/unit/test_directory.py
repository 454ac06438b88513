"""Pure rules of the directory: initials, template filling, time zone names, report labels."""

import pytest
from pydantic import ValidationError

from services.inbox.directory.schemas import MAX_REPORT_LABELS, LocationIn, LocationPatch
from services.inbox.directory.service import fill_template, initials_of, is_time_zone, may_edit_template
from shared.auth import Actor
from shared.problems import Problem


class TestInitials:
    @pytest.mark.parametrize(
        ("name", "initials"),
        [
            ("Anna Martin", "AM"),
            ("Jean-Luc Picard", "JLP"),
            ("  zoé  ", "Z"),
            ("Maria de la Cruz Fernández", "MDL"),  # at most three letters
            ("élodie roux", "ÉR"),
            ("   ", "?"),
        ],
    )
    def test_initials_of(self, name: str, initials: str) -> None:
        assert initials_of(name) == initials


class TestFillTemplate:
    def test_fills_every_known_placeholder(self) -> None:
        body = "Bonjour {guest_first_name} ({guest_name}), bienvenue à {hotel_name}. {agent_name}"
        values = {"guest_first_name": "Anna", "guest_name": "Anna Martin", "hotel_name": "Opéra", "agent_name": "Léa"}
        assert fill_template(body, values) == "Bonjour Anna (Anna Martin), bienvenue à Opéra. Léa"

    def test_keeps_unknown_placeholders_and_other_braces(self) -> None:
        body = "Bonjour {guest_first_name}, bienvenue à {hotel_name} {unknown} {not a placeholder} }{ {0} {"
        filled = fill_template(body, {"guest_first_name": "Anna", "hotel_name": "Opéra"})
        assert filled == "Bonjour Anna, bienvenue à Opéra {unknown} {not a placeholder} }{ {0} {"

    def test_a_value_is_not_filled_again(self) -> None:
        # A guest called "{hotel_name}" stays as typed: values are inserted, never re-read as a template.
        assert fill_template("{guest_name} at {hotel_name}", {"guest_name": "{hotel_name}", "hotel_name": "Opéra"}) == (
            "{hotel_name} at Opéra"
        )

    def test_a_missing_value_leaves_the_placeholder_visible(self) -> None:
        assert fill_template("Hello {guest_first_name}", {}) == "Hello {guest_first_name}"

    def test_doubled_braces_keep_the_outer_pair(self) -> None:
        assert fill_template("{{guest_name}}", {"guest_name": "Anna"}) == "{Anna}"

    def test_an_empty_value_goes_with_the_spaces_before_it(self) -> None:
        # Issue 21: a chat's guest without a name got "Bonjour ,".
        body = "Bonjour {guest_first_name},\n\nMerci. {agent_name}"
        assert fill_template(body, {"guest_first_name": "", "agent_name": "Léa"}) == "Bonjour,\n\nMerci. Léa"
        assert fill_template("Hello {guest_first_name} !", {"guest_first_name": "  "}) == "Hello !"

    def test_a_fallback_stands_in_for_an_empty_value(self) -> None:
        body = "Bonjour {guest_first_name|Madame, Monsieur},"
        assert fill_template(body, {"guest_first_name": ""}) == "Bonjour Madame, Monsieur,"
        assert fill_template(body, {"guest_first_name": "Anna"}) == "Bonjour Anna,"
        assert fill_template("{unknown|x}", {}) == "{unknown|x}", "an unknown name stays visible, fallback or not"

    @pytest.mark.parametrize(
        ("hotel", "expected"),
        [
            ("Hôtel Opéra", "L'équipe d'Hôtel Opéra revient vers vous."),
            ("Étoile Palace", "L'équipe d'Étoile Palace revient vers vous."),
            ("Opéra", "L'équipe d'Opéra revient vers vous."),
            ("Le Grand Large", "L'équipe de Le Grand Large revient vers vous."),
            ("Yachting Club", "L'équipe de Yachting Club revient vers vous."),
        ],
    )
    def test_french_elides_de_before_a_vowel_or_an_h(self, hotel: str, expected: str) -> None:
        body = "L'équipe de {hotel_name} revient vers vous."
        assert fill_template(body, {"hotel_name": hotel}, "fr") == expected

    def test_elision_keeps_the_templates_apostrophe_and_capital(self) -> None:
        body = "De {hotel_name}, l’équipe de {hotel_name}"
        assert fill_template(body, {"hotel_name": "Hôtel Opéra"}, "fr") == "D’Hôtel Opéra, l’équipe d’Hôtel Opéra"

    def test_no_elision_outside_french_nor_inside_a_word(self) -> None:
        assert fill_template("de {hotel_name}", {"hotel_name": "Opéra"}, "en") == "de Opéra"
        assert fill_template("Made {hotel_name}", {"hotel_name": "Opéra"}, "fr") == "Made Opéra"


class TestTimeZones:
    def test_iana_names_only(self) -> None:
        assert is_time_zone("Europe/Paris")
        assert is_time_zone("America/Martinique")
        assert not is_time_zone("Mars/Olympus")
        assert not is_time_zone("../../etc/passwd")
        assert not is_time_zone("")


def test_stored_settings_that_no_longer_validate_are_salvaged() -> None:
    from services.inbox.directory.service import readable_settings

    stored = {
        "contact_reasons": [{"id": "billing"}, {"id": "stay", "label_fr": "Séjour", "label_en": "Stay"}],
        "customer_service_email": "not an address",
        "alert_rule": {"max_rating": 2},
    }
    settings = readable_settings(stored)
    assert [r.id for r in settings.contact_reasons] == ["stay"]
    assert settings.customer_service_email is None
    assert settings.alert_rule.max_rating == 2


class TestWhoEditsTemplates:
    """Issue 18, finding 4: a manager's edit must hold for the template's current hotels and the new ones."""

    MANAGER = Actor(agent_id="m", name="M", initials="M", email="m@x.org", role="manager", location_ids=["a", "a2"])
    ADMIN = Actor(agent_id="ad", name="Ad", initials="AD", email="ad@x.org", role="admin", location_ids=[])

    @pytest.mark.parametrize(
        ("current", "new"),
        [([], ["a"]), (["a", "b"], ["a"]), (["a"], ["a", "b"]), (["a"], []), (["b"], ["b"])],
    )
    def test_a_manager_is_refused_beyond_his_hotels_or_chain_wide(self, current: list[str], new: list[str]) -> None:
        with pytest.raises(Problem) as refused:
            may_edit_template(self.MANAGER, current, new)
        assert refused.value.status == 403

    def test_a_manager_edits_templates_of_his_hotels_and_an_admin_any(self) -> None:
        may_edit_template(self.MANAGER, ["a"], ["a", "a2"])
        may_edit_template(self.ADMIN, [], ["b"])


class TestReportLabels:
    """A hotel's report labels bound the `label` values of its metrics (services/inbox/metrics.py)."""

    def test_a_hotel_configures_at_most_twenty_labels_of_fifty_characters(self) -> None:
        labels = [f"label {number}" for number in range(MAX_REPORT_LABELS)]
        assert LocationPatch(labels=labels).labels == labels
        assert LocationIn(id="opera", name="Opéra").labels == []
        for refused in ([*labels, "one more"], ["x" * 51], [" "]):
            with pytest.raises(ValidationError):
                LocationPatch(labels=refused)
