"""HTTP surface of chatbots: a hotel's bot configuration (admins) and the bot API (API tokens with the
`bot` scope, limited to their hotels). Each route parses its request and calls one service function."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from shared.auth import Actor, ActorDep, api_token_with

from . import schemas
from .service import BotDeskDep, BotSettingsDep

router = APIRouter(prefix="/api/v1", tags=["bots"])

ObjectId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
BotDep = Annotated[Actor, Depends(api_token_with("bot"))]


# --- a hotel's bot, configured by admins -------------------------------------------------------------


@router.get("/locations/{location_id}/bot")
async def get_bot(location_id: ObjectId, actor: ActorDep, bots: BotSettingsDep) -> schemas.BotOut:
    return await bots.get(actor, location_id)


@router.put("/locations/{location_id}/bot")
async def put_bot(location_id: ObjectId, body: schemas.BotIn, actor: ActorDep, bots: BotSettingsDep) -> schemas.BotOut:
    """Give the hotel a chatbot (or change it): new chats start with it, and it receives signed webhook calls."""
    return await bots.put(actor, location_id, body)


@router.delete("/locations/{location_id}/bot", status_code=204)
async def delete_bot(location_id: ObjectId, actor: ActorDep, bots: BotSettingsDep) -> None:
    await bots.delete(actor, location_id)


# --- the bot API ---------------------------------------------------------------------------------------


@router.get("/bot/conversations/{conversation_id}")
async def bot_conversation(conversation_id: ObjectId, actor: BotDep, desk: BotDeskDep) -> schemas.BotConversation:
    return await desk.conversation(conversation_id, actor)


@router.post("/bot/conversations/{conversation_id}/messages", status_code=201)
async def bot_message(
    conversation_id: ObjectId, body: schemas.BotMessage, actor: BotDep, desk: BotDeskDep, response: Response
) -> schemas.BotConversationMessage:
    """Answer the guest as the bot, in their chat widget, while the bot handles the conversation. Sent again
    with the same `key`, the message is stored and sent once: 200 with the message of the first time."""
    message, new = await desk.say(conversation_id, body, actor)
    if not new:
        response.status_code = 200
    return message


@router.post("/bot/conversations/{conversation_id}/capture")
async def bot_capture(
    conversation_id: ObjectId, body: schemas.Capture, actor: BotDep, desk: BotDeskDep
) -> schemas.BotConversation:
    """What the bot learnt: the guest's name, email and phone (their contact is linked), a reservation intent."""
    return await desk.capture(conversation_id, body, actor)


@router.post("/bot/conversations/{conversation_id}/handover")
async def bot_handover(
    conversation_id: ObjectId, body: schemas.BotHandover, actor: BotDep, desk: BotDeskDep
) -> schemas.BotConversation:
    """Hand the conversation to a person, saying why: it enters the inbox, open."""
    return await desk.hand_over(conversation_id, body, actor)


@router.post("/bot/conversations/{conversation_id}/spam")
async def bot_spam(conversation_id: ObjectId, actor: BotDep, desk: BotDeskDep) -> schemas.BotConversation:
    return await desk.mark_spam(conversation_id, actor)
