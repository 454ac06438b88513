"""The chatbot integration API against the real stack: a hotel's bot configured, a widget chat that starts
with the bot, the signed webhook calls a local receiver (standing for the bot) gets, and the bot's routes."""

import json
from collections.abc import Iterator

import httpx
import pytest
import websockets
from nats.aio.client import Client as NatsClient

from tests.integration.conftest import ADMIN, Stack, agent_headers, create_hotel
from tests.integration.inbox_helpers import AgentApi, publish_inbound
from tests.support.bot_receiver import Receiver, bot_receiver
from tests.support.chat import receive, ws_url
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

BOT_SECRET = "bot-secret-" + "s" * 32


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with bot_receiver() as started:
        yield started


async def token(http: httpx.AsyncClient, stack: Stack, scopes: list[str], locations: list[str]) -> dict[str, str]:
    body = {"name": "Concierge bot", "scopes": scopes, "location_ids": locations}
    response = await http.post(f"{stack.url('inbox')}/api/v1/api-tokens", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_the_bot_configuration_is_for_admins_and_never_shows_its_secret(
    stack: Stack, http: httpx.AsyncClient, location: str
) -> None:
    url = f"{stack.url('inbox')}/api/v1/locations/{location}/bot"
    config = {"name": "Concierge", "webhook_url": "http://127.0.0.1:9/webhook", "secret": BOT_SECRET}
    assert (await http.get(url, headers=ADMIN)).status_code == 404
    agent = agent_headers([location])
    assert (await http.put(url, json=config, headers=agent)).status_code == 403
    assert (await http.put(url, json={**config, "secret": "short"}, headers=ADMIN)).status_code == 422
    saved = await http.put(url, json=config, headers=ADMIN)
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"name": "Concierge", "webhook_url": "http://127.0.0.1:9/webhook"}
    assert (await http.get(url, headers=ADMIN)).json() == saved.json()
    unknown = f"{stack.url('inbox')}/api/v1/locations/no-such-hotel-{location}/bot"
    assert (await http.put(unknown, json=config, headers=ADMIN)).status_code == 404
    assert (await http.delete(url, headers=ADMIN)).status_code == 204
    assert (await http.get(url, headers=ADMIN)).status_code == 404


async def test_a_bot_handles_a_chat_until_it_hands_over_and_gets_it_back_at_close(
    stack: Stack, http: httpx.AsyncClient, location: str, receiver: Receiver
) -> None:
    inbox = stack.url("inbox")
    config = {"name": "Concierge", "webhook_url": receiver.url, "secret": BOT_SECRET}
    assert (await http.put(f"{inbox}/api/v1/locations/{location}/bot", json=config, headers=ADMIN)).status_code == 200
    bot = await token(http, stack, ["bot"], [location])
    api = AgentApi(http, inbox, ADMIN)

    async with websockets.connect(ws_url(stack, location)) as socket:
        await socket.send(json.dumps({"type": "hello"}))
        await receive(socket, "welcome")
        await socket.send(json.dumps({"type": "message", "id": "m1", "text": "What time is breakfast?"}))
        await receive(socket, "ack")

        conversation = (await api.wait_for(location))[0]
        assert (conversation["bot_active"], conversation["has_bot"]) == (True, True)
        assert await api.conversations(location=location, view="inbox") == [], "a bot's chat shows only under all"
        conversation_id = conversation["id"]

        # The guest's message reaches the bot, signed with its secret.
        said = (await eventually(lambda: receiver.calls_of("message"), lambda calls: len(calls) == 1))[0]
        assert said.signed_by(BOT_SECRET)
        assert not said.signed_by(BOT_SECRET + "x")
        assert said.headers["content-type"] == "application/json"
        assert said.headers["x-hub-delivery"] == said.json["delivery_id"]
        assert said.json["conversation_id"] == conversation_id
        assert said.json["location_id"] == location
        assert said.json["message"]["text"] == "What time is breakfast?"

        bot_url = f"{inbox}/api/v1/bot/conversations/{conversation_id}"
        answer = await http.post(f"{bot_url}/messages", json={"text": "From 7 to 10."}, headers=bot)
        assert answer.status_code == 201, answer.text
        live = await receive(socket, "message")
        assert (live["from"], live["author"], live["text"]) == ("bot", "Concierge", "From 7 to 10.")

        # Who may call the bot routes: a token with the scope, for the conversation's hotel.
        calls_only = await token(http, stack, ["calls:write"], [location])
        assert (await http.get(bot_url, headers=calls_only)).status_code == 403
        elsewhere = await token(http, stack, ["bot"], [create_hotel(stack, f"{location}-b")])
        assert (await http.get(bot_url, headers=elsewhere)).status_code in {403, 404}
        refused = await http.post(f"{bot_url}/messages", json={"text": "x"}, headers=elsewhere)
        assert refused.status_code in {403, 404}
        assert (await http.get(bot_url, headers=agent_headers([location]))).status_code == 403

        captured = await http.post(
            f"{bot_url}/capture",
            json={
                "first_name": "Léa",
                "last_name": "Martin",
                "email": f"lea.{location}@example.com",
                "reservation_intent": {"kind": "room", "note": "two nights in May"},
            },
            headers=bot,
        )
        assert captured.status_code == 200, captured.text
        assert captured.json()["guest"] == {"name": "Léa Martin", "email": f"lea.{location}@example.com"}
        detail = await api.get(conversation_id)
        assert detail["conversation"]["contact_id"], "the captured guest's contact is linked"
        reservations = [e for e in detail["timeline"] if e["kind"] == "reservation"]
        assert [(r["category"], r["notes"]) for r in reservations] == [("room", "two nights in May")]
        bot_messages = [e for e in detail["timeline"] if e["kind"] == "message" and e["direction"] == "outbound"]
        assert bot_messages[0]["author"]["type"] == "bot"
        assert bot_messages[0]["author"]["name"] == "Concierge"

        read = (await http.get(bot_url, headers=bot)).json()
        assert [(m["direction"], m["author_kind"], m["text"]) for m in read["messages"]] == [
            ("inbound", "guest", "What time is breakfast?"),
            ("outbound", "bot", "From 7 to 10."),
        ]
        assert (read["bot_active"], read["status"], read["location_id"]) == (True, "open", location)

        handed = await http.post(f"{bot_url}/handover", json={"reason": "The guest asks for a person."}, headers=bot)
        assert handed.status_code == 200, handed.text
        assert (handed.json()["bot_active"], handed.json()["status"]) == (False, "open")
        await receive(socket, "handed_over")
    assert [c["id"] for c in await api.conversations(location=location, view="inbox")] == [conversation_id]
    detail = await api.get(conversation_id)
    handover = [e for e in detail["timeline"] if e["kind"] == "status" and e.get("reason") == "handed_over"]
    assert handover[0]["note"] == "The guest asks for a person."
    assert handover[0]["author"]["type"] == "bot"
    handed_call = (await eventually(lambda: receiver.calls_of("handed_over"), lambda calls: len(calls) == 1))[0]
    assert handed_call.signed_by(BOT_SECRET)
    assert handed_call.json["message"] is None
    assert handed_call.json["guest"]["email"] == f"lea.{location}@example.com"
    after_handover = await http.post(f"{bot_url}/messages", json={"text": "Still me"}, headers=bot)
    assert after_handover.status_code == 409, "the bot no longer speaks once a person has the chat"

    # An agent closes: the bot has it back and is told so (its first answer fails: the call is retried).
    receiver.fail_first["closed"] = 1
    closed = await api.ok("PUT", conversation_id, "status", {"status": "closed"})
    assert closed["conversation"]["bot_active"] is True
    calls = await eventually(lambda: receiver.calls_of("closed"), lambda calls: len(calls) == 2)
    assert calls[0].body == calls[1].body, "a retry sends the same signed call"
    assert calls[0].headers["x-hub-delivery"] == calls[1].headers["x-hub-delivery"]
    assert calls[1].signed_by(BOT_SECRET)


async def test_a_message_sent_again_with_its_key_is_stored_and_sent_once(
    stack: Stack, http: httpx.AsyncClient, location: str, receiver: Receiver
) -> None:
    inbox = stack.url("inbox")
    config = {"name": "Concierge", "webhook_url": receiver.url, "secret": BOT_SECRET}
    assert (await http.put(f"{inbox}/api/v1/locations/{location}/bot", json=config, headers=ADMIN)).status_code == 200
    bot = await token(http, stack, ["bot"], [location])
    api = AgentApi(http, inbox, ADMIN)

    async with websockets.connect(ws_url(stack, location)) as socket:
        await socket.send(json.dumps({"type": "hello"}))
        await receive(socket, "welcome")
        await socket.send(json.dumps({"type": "message", "id": "m1", "text": "Is there parking?"}))
        await receive(socket, "ack")
        conversation_id = (await api.wait_for(location))[0]["id"]
        call = (await eventually(lambda: receiver.calls_of("message"), lambda calls: len(calls) == 1))[0]
        delivery = call.json["delivery_id"]

        # The bot posted its answer, then failed to answer the webhook call: the retried call posts it again.
        url = f"{inbox}/api/v1/bot/conversations/{conversation_id}/messages"
        said = {"text": "Yes, under the hotel.", "key": f"{delivery}:1"}
        first = await http.post(url, json=said, headers=bot)
        assert first.status_code == 201, first.text
        again = await http.post(url, json=said, headers=bot)
        assert again.status_code == 200, again.text
        assert again.json() == first.json(), "the answer is the message stored the first time"
        too_long = await http.post(url, json={"text": "x", "key": "k" * 201}, headers=bot)
        assert too_long.status_code == 422, too_long.text
        then = await http.post(url, json={"text": "Anything else?", "key": f"{delivery}:2"}, headers=bot)
        assert then.status_code == 201, then.text

        # The widget shows the answer once: the next message it gets is the bot's next one.
        assert (await receive(socket, "message"))["text"] == "Yes, under the hotel."
        assert (await receive(socket, "message"))["text"] == "Anything else?"

    read = (await http.get(f"{inbox}/api/v1/bot/conversations/{conversation_id}", headers=bot)).json()
    assert [(m["author_kind"], m["text"]) for m in read["messages"]] == [
        ("guest", "Is there parking?"),
        ("bot", "Yes, under the hotel."),
        ("bot", "Anything else?"),
    ]
    timeline = (await api.get(conversation_id))["timeline"]
    said_once = [e for e in timeline if e["kind"] == "message" and e["text"] == "Yes, under the hotel."]
    assert len(said_once) == 1


async def test_an_agent_takes_over_and_the_bot_marks_spam(
    stack: Stack, http: httpx.AsyncClient, nc: NatsClient, location: str, receiver: Receiver
) -> None:
    inbox = stack.url("inbox")
    config = {"name": "Concierge", "webhook_url": receiver.url, "secret": BOT_SECRET}
    assert (await http.put(f"{inbox}/api/v1/locations/{location}/bot", json=config, headers=ADMIN)).status_code == 200
    bot = await token(http, stack, ["bot"], [location])
    api = AgentApi(http, inbox, ADMIN)
    ids: list[str] = []
    for text in ("Is there parking?", "Buy cheap watches"):
        async with websockets.connect(ws_url(stack, location)) as socket:
            await socket.send(json.dumps({"type": "hello"}))
            await receive(socket, "welcome")
            await socket.send(json.dumps({"type": "message", "id": "m1", "text": text}))
            await receive(socket, "ack")
        ids.append((await api.wait_for(location, count=len(ids) + 1))[0]["id"])
    taken = await api.ok("POST", ids[0], "handover")
    assert (taken["conversation"]["bot_active"], taken["conversation"]["status"]) == (False, "open")
    await eventually(lambda: receiver.calls_of("handed_over"), lambda calls: len(calls) == 1)
    spam = await http.post(f"{inbox}/api/v1/bot/conversations/{ids[1]}/spam", headers=bot)
    assert spam.status_code == 200, spam.text
    assert spam.json()["status"] == "spam"

    # The hotel's email is not the bot's: its token reads and acts on the conversations that started with it.
    await publish_inbound(nc, location, text="Could you send the invoice?")
    [email] = [c for c in await api.wait_for(location, count=3) if c["channel"] == "email"]
    for method, path in (("GET", ""), ("POST", "/messages")):
        url = f"{inbox}/api/v1/bot/conversations/{email['id']}{path}"
        answer = await http.request(method, url, headers=bot, json={"text": "Hi"} if method == "POST" else None)
        assert answer.status_code == 404, answer.text
