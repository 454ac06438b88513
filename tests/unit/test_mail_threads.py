"""Threading fallbacks, without servers: request tags in subjects, solicitations named by their Message-ID,
the References chain of an answer, and what the inbox looks up and records for them."""

import dataclasses

from services.inbox.conversations.threading import lookup_for, opened_references, reply_references, tag_ref, tagged
from services.notify import composer
from shared import tokens
from shared.bus import Channel, Guest, InboundMessage, OutboundKind, ThreadHints
from shared.mail_threads import (
    REFERENCES_KEPT,
    SOLICIT_TOKEN_PURPOSE,
    answered_solicitation,
    capped,
    reference_tag,
    references_of_answer,
    solicitation_message_id,
    subject_tags,
)
from tests.unit.test_notify_composer import ENVELOPE as COMPOSER_ENVELOPE
from tests.unit.test_notify_composer import command

SECRET = "s" * 32
DOMAIN = "reply.hub.test"
ENVELOPE = dataclasses.replace(COMPOSER_ENVELOPE, reply_domain=DOMAIN)  # the composer tests' envelope and commands


def inbound(subject: str = "", email: str | None = "Anna@Example.com", **hints: object) -> InboundMessage:
    return InboundMessage(
        key="k",
        channel=Channel.EMAIL,
        location_id="paris",
        guest=Guest(email=email),
        subject=subject,
        text="x",
        thread=ThreadHints.model_validate(hints),
    )


class TestSubjectTags:
    def test_tags_are_found_in_order_each_once_in_upper_case(self) -> None:
        assert subject_tags("Re: AW: Late arrival [#ABC234] [#abc234] [#ZZZZZ7]") == ["ABC234", "ZZZZZ7"]

    def test_what_is_not_a_tag_is_ignored(self) -> None:
        assert subject_tags("Room [#AB1234] [ABC234] #ABC234 [#ABC2345]") == []

    def test_a_subject_quoting_many_tags_gives_only_the_first_few(self) -> None:
        assert len(subject_tags(" ".join(f"[#{c * 6}]" for c in "ABCDEFG"))) == 3

    def test_the_tag_is_the_one_notify_puts_in_subjects(self) -> None:
        tag = reference_tag("conv1")
        assert composer.reference_tag is reference_tag
        assert subject_tags(composer.subject_of(command())) == [tag]


class TestTagLookup:
    def test_an_email_quoting_a_tag_looks_it_up_for_its_hotel_and_sender_only(self) -> None:
        lookup = lookup_for(inbound("Re: Late arrival [#ABC234]"))
        assert lookup.tag_references == {"ABC234": "paris|tag:ABC234:anna@example.com"}
        assert lookup.tag_references["ABC234"] == tag_ref("paris", "abc234", "ANNA@example.com")
        assert not set(lookup.tag_references.values()) & set(lookup.references), "tried after the reply token"

    def test_no_tag_look_up_without_a_sender_we_can_trust(self) -> None:
        assert lookup_for(inbound("[#ABC234]", email=None)).tag_references == {}
        ambiguous = inbound("[#ABC234]").model_copy(update={"ambiguous_sender": True})
        assert lookup_for(ambiguous).tag_references == {}
        assert opened_references(ambiguous, "conv1") == []

    def test_a_new_conversation_records_its_tag_for_the_guests_address(self) -> None:
        [reference] = opened_references(inbound(), "conv1")
        assert reference == f"paris|tag:{reference_tag('conv1')}:anna@example.com"
        assert lookup_for(inbound(f"Re: x [#{reference_tag('conv1')}]")).tag_references.popitem()[1] == reference

    def test_older_conversations_are_matched_by_their_computed_tag(self) -> None:
        ids = ["a1", "b2", "conv1"]
        assert tagged(ids, ["ZZZZZZ", reference_tag("conv1")]) == ("conv1", reference_tag("conv1"))
        assert tagged(ids, ["ZZZZZZ"]) is None


class TestSolicitationMessageIds:
    token = tokens.sign(SOLICIT_TOKEN_PURPOSE, "0123abcd", SECRET)

    def test_an_answer_naming_a_solicitation_email_of_the_hotel_gives_its_token(self) -> None:
        sent = solicitation_message_id("solicitation:0123abcd:1", self.token, "paris", DOMAIN)
        parents = ["other@supplier.example", f"<{sent.upper()}>"]
        assert answered_solicitation(parents, "paris", DOMAIN, SECRET) == self.token

    def test_another_hotels_or_a_forged_or_a_guest_reply_message_id_gives_none(self) -> None:
        sent = solicitation_message_id("solicitation:0123abcd:1", self.token, "paris", DOMAIN)
        assert answered_solicitation([sent], "nice", DOMAIN, SECRET) is None
        forged = solicitation_message_id("k", "0123abcd.00000000000000000000", "paris", DOMAIN)
        assert answered_solicitation([forged], "paris", DOMAIN, SECRET) is None
        assert answered_solicitation([composer.message_id("entry:1", DOMAIN)], "paris", DOMAIN, SECRET) is None
        assert answered_solicitation([sent], "paris", DOMAIN, "another secret") is None

    def test_notify_gives_solicitations_their_token_bearing_message_id_and_every_other_email_its_key_one(self) -> None:
        solicitation = command(kind=OutboundKind.SOLICITATION, reply_token=self.token, key="solicitation:0123abcd:1")
        message_id = composer.message_id_of(solicitation, DOMAIN)
        assert message_id == solicitation_message_id(solicitation.key, self.token, "paris-opera", DOMAIN)
        assert answered_solicitation([message_id], "paris-opera", DOMAIN, SECRET) == self.token
        assert composer.message_id_of(command(), DOMAIN) == composer.message_id("entry:abc", DOMAIN)
        email = composer.compose(solicitation, ENVELOPE, [])
        assert email["Message-ID"] == f"<{message_id}>"


class TestReferencesChain:
    def test_an_answer_carries_the_parents_references_then_the_parent(self) -> None:
        assert references_of_answer(["<m1@g>", "r1@h"], ["r1@h"], "m2@g") == ["m1@g", "r1@h", "m2@g"]

    def test_without_references_a_single_in_reply_to_stands_for_them(self) -> None:
        assert references_of_answer([], ["r1@h"], "m2@g") == ["r1@h", "m2@g"]
        assert references_of_answer([], ["a@x", "b@x"], "m2@g") == ["m2@g"], "ambiguous: RFC 5322 keeps none"
        assert references_of_answer([], [], None) == []

    def test_a_long_chain_keeps_its_root_and_its_latest_messages(self) -> None:
        chain = [f"m{n}@g" for n in range(50)]
        kept = capped(chain)
        assert kept == ["m0@g", *chain[-REFERENCES_KEPT:]]
        assert capped(["a@x", "<a@x>", "b@x", " "]) == ["a@x", "b@x"]

    def test_the_inbox_keeps_the_chain_of_the_guests_email(self) -> None:
        message = inbound(message_id="m2@g", in_reply_to=["r1@h"], references=["m1@g", "r1@h"])
        assert reply_references(message) == ["m1@g", "r1@h", "m2@g"]

    def test_notify_writes_the_whole_chain_capped_with_the_parent_last(self) -> None:
        chain = [f"m{n}@g" for n in range(30)]
        email = composer.compose(command(references=chain, in_reply_to="m29@g"), ENVELOPE, [])
        assert email["In-Reply-To"] == "<m29@g>"
        assert email["References"].split() == [f"<{m}>" for m in capped(chain)]
        assert email["References"].split()[-1] == "<m29@g>"

    def test_long_message_ids_are_written_whole_and_unsafe_ones_not_at_all(self) -> None:
        long_id = "x" * 120 + "@mail.example"
        chain = [long_id, "bad id@x", "inject@x>\r\nBcc: eve@x", "m1@g"]
        raw = composer.as_bytes(composer.compose(command(references=chain, in_reply_to=long_id), ENVELOPE, []))
        headers = raw.split(b"\r\n\r\n")[0].decode()
        assert f"In-Reply-To: <{long_id}>\r\n" in headers
        assert f"References: <{long_id}>\r\n <m1@g>\r\n" in headers
        assert "Bcc" not in headers
