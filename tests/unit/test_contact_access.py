"""Who sees and changes which part of a contact (services/contacts/access.py), without servers."""

from typing import Any

from services.contacts import access
from services.contacts.lifecycle import merged_fields
from shared.auth import Actor


def actor(*hotels: str, role: str = "agent") -> Actor:
    return Actor.model_validate(
        {"agent_id": "a", "name": "A", "initials": "A", "email": "a@x.fr", "role": role, "location_ids": list(hotels)}
    )


# Nina, served by the Louvre; a form posted to the Opera with her address put the Opera in contact.
NINA: dict[str, Any] = {
    "_id": "nina",
    "first_name": "Nina",
    "display_name": "Nina",
    "emails": ["nina@x.fr"],
    "location_ids": ["louvre", "opera"],
    "served_location_ids": ["louvre"],
    "attributes": {"vip": True},
    "search_keys": ["*|nin"],
}


class TestView:
    def test_a_hotel_only_in_contact_sees_the_card_of_its_own_hotels_without_hq_attributes(self) -> None:
        seen = access.view(actor("opera"), NINA)
        assert seen == {
            "id": "nina",
            "first_name": "Nina",
            "display_name": "Nina",
            "emails": ["nina@x.fr"],
            "location_ids": ["opera"],
        }

    def test_a_hotel_that_served_the_guest_sees_the_attributes(self) -> None:
        seen = access.view(actor("louvre"), NINA)
        assert seen["attributes"] == {"vip": True}
        assert seen["location_ids"] == ["louvre"]
        assert "served_location_ids" not in seen

    def test_admins_see_everything(self) -> None:
        seen = access.view(actor(role="admin"), NINA)
        assert seen["served_location_ids"] == ["louvre"]
        assert seen["location_ids"] == ["louvre", "opera"]


class TestChanges:
    def test_a_hotel_only_in_contact_neither_edits_nor_merges_a_guest_shared_with_others(self) -> None:
        opera = actor("opera")
        assert access.may_open(opera, NINA)
        assert not access.may_edit(opera, NINA)
        assert not access.may_merge(opera, NINA)

    def test_a_hotel_that_served_edits_but_merges_only_what_it_sees_whole(self) -> None:
        louvre = actor("louvre")
        assert access.may_edit(louvre, NINA)
        assert not access.may_merge(louvre, NINA), "the Opera's request would be re-pointed"
        assert access.may_merge(actor("louvre", "opera"), NINA)

    def test_a_guest_only_of_my_hotels_is_mine_to_edit_but_hq_data_is_not_merged_without_serving(self) -> None:
        hq_only = {"_id": "h", "location_ids": ["opera"], "served_location_ids": [], "attributes": {"vip": True}}
        opera = actor("opera")
        assert access.may_edit(opera, hq_only)
        assert not access.may_merge(opera, hq_only), "merging would hand its attributes to a contact served here"
        assert access.may_merge(opera, {**hq_only, "attributes": {}})

    def test_nobody_outside_the_contact_opens_it(self) -> None:
        assert not access.may_open(actor("nice"), NINA)
        assert access.may_open(actor(role="admin"), NINA)


def test_a_merge_unites_the_hotels_that_served() -> None:
    fields = merged_fields(NINA, {"_id": "o", "location_ids": ["nice"], "served_location_ids": ["nice"]})
    assert fields["served_location_ids"] == ["louvre", "nice"]
    assert fields["location_ids"] == ["louvre", "opera", "nice"]
