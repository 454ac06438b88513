"""Identity: tokens signed with the shared key, verifiable by every service without asking another.

A token carries who is calling and the hotels they may see (an agent's own locations plus those of
their groups, expanded at login), so no service needs another's data to scope a request. Two kinds:

- an agent's session (8 hours), sent as `Authorization: Bearer` by scripts or, for the console, as
  the HttpOnly `hub_session` cookie; a cookie-borne request that changes anything must also echo the
  `hub_csrf` cookie in an `X-CSRF-Token` header (a cross-site page can make the browser send the
  cookie but cannot read it);
- an integration's API token (review platforms, telephony, headquarters imports, a chatbot), created by an admin
  with scopes and optionally hotels; it opens only the endpoints that ask for one of its scopes.

Two JetStream key-value buckets end sessions before their expiry, consulted by every service for every
request (each answer trusted for at most `SESSION_CHECK_SECONDS`) and by every open live stream:

- `revoked_tokens`: signing out and revoking an API token put that one token's id there;
- `agent_sessions`: each agent's session epoch. A token carries the epoch its agent had at sign-in; the
  directory advances it when the agent's rights or secrets change (password, role, hotels or groups,
  disabled, deleted, or an admin ends their sessions), which ends every token issued before. An agent
  without an entry has epoch 0, so tokens minted without an epoch hold until something changes.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Literal, TypeVar

from fastapi import Depends, Request
from faststream.nats import NatsBroker
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue
from pydantic import BaseModel, ValidationError

from shared.problems import Problem
from shared.settings import HubSettings

log = logging.getLogger(__name__)

Role = Literal["agent", "manager", "admin"]
# Each role may do what the roles before it may: the one rule behind every role check.
ROLES: tuple[Role, ...] = ("agent", "manager", "admin")
Scope = Literal["contacts:import", "reviews:write", "calls:write", "email:write", "bot"]
TOKEN_TTL_SECONDS = 8 * 3600  # one working shift
SESSION_COOKIE = "hub_session"
CSRF_COOKIE = "hub_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REVOCATIONS_BUCKET = "revoked_tokens"
SESSIONS_BUCKET = "agent_sessions"
# How long one process trusts an answer of either bucket: a session ends everywhere within this.
SESSION_CHECK_SECONDS = 5.0
REVOCATION_CHECK_SECONDS = SESSION_CHECK_SECONDS


class Actor(BaseModel):
    """The agent behind a request."""

    agent_id: str
    name: str
    initials: str
    email: str
    role: Role
    location_ids: list[str]
    group_ids: list[str] = []
    expires_at: int = 0
    kind: Literal["agent", "api"] = "agent"
    scopes: list[Scope] = []
    token_id: str = ""  # what logout or revocation names; empty on tokens that cannot be revoked
    session_epoch: int = 0  # the agent's epoch at sign-in: a later one in `agent_sessions` ends the token

    def has_role(self, role: Role) -> bool:
        """Whether the actor is at least `role` (a manager may do what an agent may, an admin anything)."""
        return at_least(self.role, role)

    def require(self, role: Role) -> None:
        """Refuse (403) an actor below `role`."""
        if not self.has_role(role):
            allowed = " or ".join(f"{r}s" for r in ROLES[ROLES.index(role) :])
            raise Problem(403, "Forbidden", f"Only {allowed} may do this.")

    @property
    def sees_everything(self) -> bool:
        """Admins see every hotel of the chain; everyone else the hotels in their token."""
        return self.has_role("admin")

    def can_see(self, location_id: str) -> bool:
        return self.sees_everything or location_id in self.location_ids

    def author(self) -> dict[str, str]:
        """How the agent is recorded on timeline entries."""
        return {"type": "agent", "id": self.agent_id, "name": self.name, "initials": self.initials}


def at_least(role: str, needed: Role) -> bool:
    """Whether `role` (an actor's, or an agent document's) ranks at least `needed`; an unknown role ranks lowest."""
    rank = ROLES.index(role) if role in ROLES else -1
    return rank >= ROLES.index(needed)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def issue_token(actor: Actor, secret: str, ttl_seconds: int = TOKEN_TTL_SECONDS, now: float | None = None) -> str:
    claims = actor.model_copy(update={"expires_at": int((now or time.time()) + ttl_seconds)})
    payload = _b64(claims.model_dump_json().encode())
    return f"{payload}.{_signature(secret, payload)}"


def verify_token(token: str, secret: str, now: float | None = None) -> Actor:
    """The token's actor; raises Problem(401) when it is malformed, forged or expired."""
    payload, _, signature = token.partition(".")
    if not payload or not signature or not hmac.compare_digest(signature, _signature(secret, payload)):
        raise Problem(401, "Unauthorized", "The token is not valid; sign in again.")
    try:
        actor = Actor.model_validate(json.loads(_unb64(payload)))
    except (ValueError, ValidationError) as exc:
        raise Problem(401, "Unauthorized", "The token is not valid; sign in again.") from exc
    if actor.expires_at < (now or time.time()):
        raise Problem(401, "Unauthorized", "The session has expired; sign in again.")
    return actor


def csrf_token(session_token: str, secret: str) -> str:
    """The CSRF value bound to one session: the console echoes it in `X-CSRF-Token`."""
    return _signature(secret, "csrf:" + session_token.rpartition(".")[2])


async def _bucket_of(broker: NatsBroker, name: str, replicas: int) -> KeyValue:
    js = broker.connection.jetstream()
    try:
        return await js.key_value(name)
    except BucketNotFoundError:
        config = KeyValueConfig(bucket=name, history=1, storage=StorageType.FILE, replicas=replicas)
        return await js.create_key_value(config)


class Revocations:
    """Ids of tokens revoked before their expiry (logouts, API tokens withdrawn), shared through NATS KV."""

    def __init__(self, broker: NatsBroker, replicas: int = 1) -> None:
        self.broker, self.replicas = broker, replicas
        self._bucket: KeyValue | None = None
        self._checked: dict[str, float] = {}

    async def _kv(self) -> KeyValue:
        if self._bucket is None:
            self._bucket = await _bucket_of(self.broker, REVOCATIONS_BUCKET, self.replicas)
        return self._bucket

    async def revoke(self, token_id: str) -> None:
        await (await self._kv()).put(token_id, b"revoked")
        self._checked.pop(token_id, None)

    async def is_revoked(self, token_id: str) -> bool:
        now = time.monotonic()
        if now - self._checked.get(token_id, -REVOCATION_CHECK_SECONDS) < REVOCATION_CHECK_SECONDS:
            return False
        try:
            await (await self._kv()).get(token_id)
        except KeyNotFoundError:
            if len(self._checked) > 10_000:
                self._checked.clear()
            self._checked[token_id] = now
            return False
        except Exception as exc:  # noqa: BLE001 - the bus is down: sessions are short, keep agents working
            log.warning("could not check a token's revocation: %r", exc)
            return False
        return True


class SessionEpochs:
    """Each agent's current session epoch, shared through NATS KV; the directory's agent document holds
    the same number (what sign-in puts in the token), this bucket is what every service reads."""

    def __init__(self, broker: NatsBroker, replicas: int = 1) -> None:
        self.broker, self.replicas = broker, replicas
        self._bucket: KeyValue | None = None
        self._known: dict[str, tuple[int, float]] = {}  # agent id -> (epoch, when read)

    async def _kv(self) -> KeyValue:
        if self._bucket is None:
            self._bucket = await _bucket_of(self.broker, SESSIONS_BUCKET, self.replicas)
        return self._bucket

    async def current(self, agent_id: str) -> int:
        """The agent's epoch, read at most `SESSION_CHECK_SECONDS` ago; 0 for an agent never changed."""
        now = time.monotonic()
        known = self._known.get(agent_id)
        if known is not None and now - known[1] < SESSION_CHECK_SECONDS:
            return known[0]
        try:
            entry = await (await self._kv()).get(agent_id)
            epoch = int(entry.value or b"0")
        except KeyNotFoundError:
            epoch = 0
        except Exception as exc:  # noqa: BLE001 - the bus is down: keep the last answer, as for revocations
            log.warning("could not check an agent's session epoch: %r", exc)
            return known[0] if known is not None else 0
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[agent_id] = (epoch, now)
        return epoch

    async def publish(self, agent_id: str, epoch: int) -> None:
        """Make `epoch` the agent's current one everywhere. Never lowers it: of two changes racing, the
        higher epoch stays (compare-and-set on the entry's revision)."""
        kv = await self._kv()
        value = str(epoch).encode()
        for _ in range(20):
            try:
                entry = await kv.get(agent_id)
            except KeyNotFoundError:
                try:
                    await kv.create(agent_id, value)
                except KeyWrongLastSequenceError:
                    continue
                break
            if int(entry.value or b"0") >= epoch:
                break
            try:
                await kv.update(agent_id, value, last=entry.revision)
            except KeyWrongLastSequenceError:
                continue
            break
        else:
            raise RuntimeError(f"could not publish the session epoch of agent {agent_id!r}")
        self._known.pop(agent_id, None)


@dataclass
class Sessions:
    """Whether a token's session still holds: not revoked, and issued at its agent's current epoch."""

    revocations: Revocations
    epochs: SessionEpochs

    async def ended(self, actor: Actor) -> str | None:
        """Why the actor's session is over, or None while it holds (checked per request and by open streams)."""
        if actor.token_id and await self.revocations.is_revoked(actor.token_id):
            return "This token was revoked (signed out or withdrawn); sign in again."
        if actor.kind == "agent" and actor.session_epoch < await self.epochs.current(actor.agent_id):
            return "Your sessions were ended (password, role, hotels or account changed); sign in again."
        return None


_Store = TypeVar("_Store", Revocations, SessionEpochs)


def _kept_on_app(request: Request, attribute: str, kind: type[_Store]) -> _Store:
    """One `kind` per process, made on first use from the app's runtime (its bus and stream replicas)."""
    state = request.app.state
    if getattr(state, attribute, None) is None:
        runtime = state.runtime
        setattr(state, attribute, kind(runtime.broker, runtime.settings.stream_replicas))
    store: _Store = getattr(state, attribute)
    return store


def revocations_of(request: Request) -> Revocations:
    return _kept_on_app(request, "revocations", Revocations)


def epochs_of(request: Request) -> SessionEpochs:
    return _kept_on_app(request, "session_epochs", SessionEpochs)


def sessions_of(request: Request) -> Sessions:
    return Sessions(revocations_of(request), epochs_of(request))


def _presented_token(request: Request, secret: str) -> str:
    """The bearer token, or the session cookie (with its CSRF header checked when the request changes things)."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Problem(401, "Unauthorized", "Send 'Authorization: Bearer <token>'.")
        return token.strip()
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Problem(401, "Unauthorized", "Sign in first: send 'Authorization: Bearer <token>' or the session cookie.")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent, csrf_token(cookie, secret)):
            raise Problem(403, "Forbidden", "The CSRF token is missing or wrong; reload the page and try again.")
    return cookie


async def authenticate(request: Request) -> Actor:
    """Whoever presents a valid, unexpired, unrevoked token: an agent or an integration."""
    settings: HubSettings = request.app.state.runtime.settings
    secret = settings.secret_key.get_secret_value()
    actor = verify_token(_presented_token(request, secret), secret)
    ended = await sessions_of(request).ended(actor)
    if ended:
        raise Problem(401, "Unauthorized", ended)
    return actor


async def current_actor(request: Request) -> Actor:
    """The signed-in agent; API tokens are refused here, they open only the endpoints of their scopes."""
    actor = await authenticate(request)
    if actor.kind != "agent":
        raise Problem(403, "Forbidden", "An API token cannot call this endpoint; it is for signed-in agents.")
    return actor


def agent_or_scope(scope: Scope) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency admitting signed-in agents (the route checks their role) and API tokens granted `scope`."""

    async def dependency(request: Request) -> Actor:
        actor = await authenticate(request)
        if actor.kind == "api" and scope not in actor.scopes:
            raise Problem(403, "Forbidden", f"This API token lacks the scope {scope!r}.")
        return actor

    return dependency


def api_token_with(scope: Scope) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency admitting only API tokens granted `scope` (a chatbot's routes are not an agent's)."""

    async def dependency(request: Request) -> Actor:
        actor = await authenticate(request)
        if actor.kind != "api" or scope not in actor.scopes:
            raise Problem(403, "Forbidden", f"Only an API token with the scope {scope!r} may call this endpoint.")
        return actor

    return dependency


ActorDep = Annotated[Actor, Depends(current_actor)]
