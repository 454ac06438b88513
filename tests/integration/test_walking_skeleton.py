"""A web form travels ingest -> JetStream -> inbox (+ contacts) -> API, through the real gateway."""

import httpx
import pytest

from tests.integration.conftest import ADMIN, Stack, create_hotel
from tests.support import servers
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def list_conversations(http: httpx.AsyncClient, base: str, location: str) -> list[dict[str, object]]:
    response = await http.get(f"{base}/api/v1/conversations", params={"location": location}, headers=ADMIN)
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


class TestEveryService:
    @pytest.mark.parametrize("service", ["ingest", "inbox", "contacts", "notify", "solicit"])
    async def test_is_alive_ready_and_exposes_metrics(
        self, stack: Stack, http: httpx.AsyncClient, service: str
    ) -> None:
        base = stack.url(service)
        assert (await http.get(f"{base}/healthz")).status_code == 200
        ready = await http.get(f"{base}/readyz")
        assert ready.status_code == 200, ready.text
        metrics = await http.get(f"{base}/metrics")
        assert "hub_bus_redeliveries_total" in metrics.text


class TestFormToConversation:
    async def test_form_posted_through_gateway_is_listed_as_conversation(
        self, gateway: str, http: httpx.AsyncClient, location: str
    ) -> None:
        form = {
            "name": "Anna Martin",
            "email": "Anna.Martin@Example.com",
            "subject": "Late check-in",
            "message": "We land at 23:40; can we still check in?",
        }
        accepted = await http.post(f"{gateway}/ingest/forms/{location}", json=form)
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["key"].startswith(f"form:{location}:")

        items = await eventually(lambda: list_conversations(http, gateway, location), lambda items: len(items) == 1)
        conversation = items[0]
        assert conversation["status"] == "open"
        assert conversation["channel"] == "form"
        assert conversation["subject"] == "Late check-in"
        assert conversation["unread"] is True
        assert conversation["priority"] == "low"
        assert conversation["guest"] == {"name": "Anna Martin", "email": "anna.martin@example.com"}
        assert conversation["contact_id"], "contacts resolved the guest over request/reply"

        detail = await http.get(f"{gateway}/api/v1/conversations/{conversation['id']}", headers=ADMIN)
        assert detail.status_code == 200
        timeline = detail.json()["timeline"]
        assert [entry["text"] for entry in timeline] == [form["message"]]
        assert timeline[0]["direction"] == "inbound"

    async def test_urlencoded_html_form_is_accepted(self, stack: Stack, http: httpx.AsyncClient, location: str) -> None:
        response = await http.post(
            f"{stack.url('ingest')}/ingest/forms/{location}",
            data={"name": "Louis", "email": "louis@example.fr", "message": "Bonjour, un parking ?"},
        )
        assert response.status_code == 202, response.text
        items = await eventually(
            lambda: list_conversations(http, stack.url("inbox"), location), lambda items: len(items) == 1
        )
        assert items[0]["snippet"] == "Bonjour, un parking ?"

    async def test_same_guest_twice_is_one_contact(self, stack: Stack, http: httpx.AsyncClient, location: str) -> None:
        for text in ("First question", "Second question"):
            form = {"email": "repeat.guest@example.com", "message": text}
            assert (await http.post(f"{stack.url('ingest')}/ingest/forms/{location}", json=form)).status_code == 202
        items = await eventually(
            lambda: list_conversations(http, stack.url("inbox"), location), lambda items: len(items) == 2
        )
        assert len({item["contact_id"] for item in items}) == 1, "a web form opens a new request, same contact"

    async def test_unknown_conversation_is_a_404_problem(self, stack: Stack, http: httpx.AsyncClient) -> None:
        response = await http.get(f"{stack.url('inbox')}/api/v1/conversations/does-not-exist", headers=ADMIN)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "does-not-exist" in response.json()["detail"]

    async def test_list_is_cursor_paginated(self, stack: Stack, http: httpx.AsyncClient, location: str) -> None:
        for n in range(5):
            form = {"email": f"guest{n}@example.com", "message": f"message {n}", "submission_id": f"page-{n}"}
            assert (await http.post(f"{stack.url('ingest')}/ingest/forms/{location}", json=form)).status_code == 202
        await eventually(lambda: list_conversations(http, stack.url("inbox"), location), lambda items: len(items) == 5)
        seen: list[str] = []
        cursor = None
        while True:
            params = {"location": location, "limit": "2", **({"cursor": cursor} if cursor else {})}
            page = (await http.get(f"{stack.url('inbox')}/api/v1/conversations", params=params, headers=ADMIN)).json()
            seen += [item["snippet"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [f"message {n}" for n in reversed(range(5))], "newest guest activity first, no repeats"
        bad = await http.get(
            f"{stack.url('inbox')}/api/v1/conversations", params={"cursor": "not-a-cursor"}, headers=ADMIN
        )
        assert bad.status_code == 400


class TestHtmlFormsAndLimits:
    async def test_html_form_goes_back_to_its_page_and_only_there(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        url = f"{stack.url('ingest')}/ingest/forms/{location}"
        page = "https://www.hotel-opera.example/contact"
        form = {"email": "anna@example.com", "message": "Hello", "redirect_to": page + "?lang=fr"}
        back = await http.post(url, data=form, headers={"Referer": page})
        assert back.status_code == 303
        assert back.headers["location"] == page + "?lang=fr&sent=1"
        elsewhere = await http.post(
            url, data={**form, "message": "again", "redirect_to": "https://evil.example/"}, headers={"Referer": page}
        )
        assert elsewhere.status_code == 202, "no redirect to another site"

    async def test_too_many_forms_from_one_address_get_429(self, stack: Stack, http: httpx.AsyncClient) -> None:
        strict = {
            **stack.env,
            "HUB_INGEST_FORM_RATE_PER_MINUTE": "6",
            "HUB_INGEST_FORM_RATE_BURST": "3",
            "HUB_INGEST_SMTP_PORT": "0",
            "HUB_INGEST_IMAP_MAILBOXES": "[]",
        }
        replica = servers.service("ingest", strict, stack.root).start()
        try:
            servers.wait_ready(f"http://127.0.0.1:{replica.port}")
            url = f"http://127.0.0.1:{replica.port}/ingest/forms/{create_hotel(stack, 'rate-test')}"
            answers = [
                (await http.post(url, json={"email": "bot@example.com", "message": f"spam {n}"})).status_code
                for n in range(5)
            ]
            last = await http.post(url, json={"email": "bot@example.com", "message": "more"})
        finally:
            replica.stop()
        assert answers[:3] == [202, 202, 202]
        assert answers[3:] == [429, 429]
        assert "try again in" in last.json()["detail"]


class TestSpamRules:
    async def test_obvious_spam_opens_in_the_spam_view_and_not_spam_is_respected(
        self, stack: Stack, http: httpx.AsyncClient, location: str
    ) -> None:
        url = f"{stack.url('ingest')}/ingest/forms/{location}"
        pitch = {"email": "seo@spam.example", "message": "Cheap SEO services and backlinks, buy now!"}
        assert (await http.post(url, json=pitch)).status_code == 202
        inbox = stack.url("inbox")
        spam = await eventually(
            lambda: http.get(
                f"{inbox}/api/v1/conversations", params={"location": location, "view": "spam"}, headers=ADMIN
            ),
            lambda r: len(r.json()["items"]) == 1,
        )
        item = spam.json()["items"][0]
        assert item["spam_reason"].startswith("spam phrase")
        back = await http.delete(f"{inbox}/api/v1/conversations/{item['id']}/spam", headers=ADMIN)
        assert back.json()["conversation"]["status"] == "open"


class TestFormsWithFiles:
    async def test_files_travel_with_the_form_once(self, stack: Stack, http: httpx.AsyncClient, location: str) -> None:
        url = f"{stack.url('ingest')}/ingest/forms/{location}"
        data = {"email": "claire@example.com", "message": "Here is my invoice", "submission_id": "with-files"}
        files = [("invoice", ("C:\\\\Users\\\\claire\\\\invoice.pdf", b"%PDF-1.4 fake", "application/pdf"))]
        for _ in range(2):
            assert (await http.post(url, data=data, files=files)).status_code == 202
        inbox = stack.url("inbox")
        listed = await eventually(
            lambda: http.get(f"{inbox}/api/v1/conversations", params={"location": location}, headers=ADMIN),
            lambda r: len(r.json()["items"]) == 1,
        )
        detail = await http.get(f"{inbox}/api/v1/conversations/{listed.json()['items'][0]['id']}", headers=ADMIN)
        attachment = detail.json()["timeline"][0]["attachments"][0]
        assert (attachment["filename"], attachment["content_type"]) == ("invoice.pdf", "application/pdf")
        download = await http.get(f"{inbox}/api/v1/attachments/{attachment['id']}", headers=ADMIN)
        assert download.content == b"%PDF-1.4 fake"
        too_many = [("f", (f"{n}.txt", b"x", "text/plain")) for n in range(6)]
        response = await http.post(url, data={**data, "submission_id": "many"}, files=too_many)
        assert response.status_code == 422
        assert "5 files" in response.json()["detail"]
