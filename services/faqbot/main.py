"""Composition root of the FAQ bot: settings, the FAQ file, the hub's API client, the webhook app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from shared.logging import configure_logging
from shared.settings import load_settings

from .api import router
from .faq import FaqFile
from .hub import Hub
from .service import FaqBot
from .settings import FaqBotSettings


def build_app(settings: FaqBotSettings | None = None) -> FastAPI:
    settings = settings or FaqBotSettings()
    faqs = FaqFile.load(settings.faq_file)  # a wrong file stops the bot at start, not at the first guest

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        token = settings.token.get_secret_value()
        async with Hub.client_for(settings.api_url, token, settings.api_timeout_seconds) as client:
            app.state.bot = FaqBot(Hub(client), faqs, settings.secret.get_secret_value())
            yield

    app = FastAPI(title="Hub FAQ bot", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(router)
    return app


def main() -> None:
    settings = load_settings(FaqBotSettings)
    configure_logging("faqbot", settings.log_level)
    uvicorn.run(build_app(settings), host=settings.host, port=settings.port, log_config=None)
