"""What one client address may send to the public endpoints: forms, new chats and chat messages.

Counted per address on every replica at once (shared/client_limits.py, NATS KV), so neither a new
X-Forwarded-For per request (the gateway overwrites it, see docker-compose.yml) nor a new chat socket
per message escapes them; a chat's messages are also limited per session, in the process that holds it.
"""

from dataclasses import dataclass, field

from shared.client_limits import ClientLimits, Limit
from shared.ratelimit import RateLimiter

from .settings import IngestSettings


@dataclass
class GuestLimits:
    """Each method counts one attempt and answers 0 (go ahead) or the seconds to wait."""

    shared: ClientLimits
    settings: IngestSettings
    sessions: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = RateLimiter(self.settings.chat_rate_per_minute, self.settings.chat_rate_burst)

    async def form(self, client: str) -> float:
        s = self.settings
        return await self.shared.hit(Limit("forms", s.form_rate_per_minute, 60, s.form_rate_burst), client)

    async def new_chat(self, client: str) -> float:
        s = self.settings
        return await self.shared.hit(Limit("chats", s.chat_sessions_per_hour, 3600, s.chat_sessions_burst), client)

    async def chat_message(self, client: str, session_id: str) -> float:
        """A guest's message or file in a chat: within the session's rate, and the address's (all chats)."""
        if wait := self.sessions.allow(session_id):
            return wait
        s = self.settings
        limit = Limit("chat-messages", s.chat_address_rate_per_minute, 60, s.chat_address_rate_burst)
        return await self.shared.hit(limit, client)
