"""HTTP surface of the bot: the webhook the hub signs and calls, and its health."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from .hub import HubError
from .schemas import Webhook
from .service import FaqBot

router = APIRouter()
# A webhook carries one guest message (the hub bounds it far below this).
MAX_BODY_BYTES = 256 * 1024


def bot_of(request: Request) -> FaqBot:
    bot: FaqBot = request.app.state.bot
    return bot


BotDep = Annotated[FaqBot, Depends(bot_of)]


@router.post("/webhook", status_code=204)
async def webhook(
    request: Request, bot: BotDep, signature: Annotated[str | None, Header(alias="X-Hub-Signature-256")] = None
) -> Response:
    """A guest's message (answered before this returns: a failure answers 502, and the hub retries)."""
    body = await _body(request)
    if body is None:
        return _error(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
    if not bot.authentic(body, signature):
        return _error(401, "X-Hub-Signature-256 is missing or does not match the body.")
    try:
        hook = Webhook.model_validate_json(body)
    except ValidationError as exc:
        return _error(422, f"Not a webhook of the hub: {exc.errors(include_url=False)}")
    try:
        await bot.handle(hook)
    except HubError as exc:
        return _error(502, str(exc))
    return Response(status_code=204)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "alive"}


async def _body(request: Request) -> bytes | None:
    chunks = bytearray()
    async for chunk in request.stream():
        chunks.extend(chunk)
        if len(chunks) > MAX_BODY_BYTES:
            return None
    return bytes(chunks)


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)
