"""The gateway half of the local Discord server: one websocket per shard session.

Implemented: HELLO, heartbeat ACK, IDENTIFY (with sharding), READY followed by a GUILD_CREATE
for each guild of the shard, RESUME (replaying the events the client missed, then RESUMED) and
INVALID_SESSION when a session cannot be resumed. Frames are JSON text frames: the clients only
run their zlib decompressor on binary frames, so asking for ``compress=zlib-stream`` is harmless.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import WSMsgType, web

from .payloads import JSON

if TYPE_CHECKING:
    from .server import DiscordServer

__all__ = ["ConnectionEvent", "Gateway"]

logger = logging.getLogger(__name__)

_DISPATCH = 0
_HEARTBEAT = 1
_IDENTIFY = 2
_RESUME = 6
_INVALID_SESSION = 9
_HELLO = 10
_HEARTBEAT_ACK = 11

# Close codes the clients treat as fatal (no reconnect).
_CLOSE_DECODE_ERROR = 4002
_CLOSE_INVALID_SHARD = 4010


@dataclass(frozen=True)
class ConnectionEvent:
    """A shard session became live: after ``identify`` (READY sent) or ``resume`` (RESUMED)."""

    kind: Literal["identify", "resume"]
    shard_id: int
    session_id: str


@dataclass(eq=False)
class _Session:
    """What survives a dropped socket: the sequence and the events sent, for RESUME."""

    session_id: str
    shard_id: int
    shard_count: int
    seq: int = 0
    resumable: bool = True
    sent: list[tuple[int, str]] = field(default_factory=list)
    connection: _Connection | None = None

    def frame(self, event: str, data: JSON) -> str:
        """Number the next dispatch and remember it for a later RESUME."""
        self.seq += 1
        text = json.dumps({"op": _DISPATCH, "t": event, "s": self.seq, "d": data})
        self.sent.append((self.seq, text))
        return text


@dataclass(eq=False)
class _Connection:
    websocket: web.WebSocketResponse
    request: web.Request
    session: _Session | None = None
    # Several tasks send on one socket (test dispatches, replies to heartbeats): frames must
    # not interleave with the READY burst.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send_raw(self, text: str) -> bool:
        """Send one frame; ``False`` if the socket is gone (the frame stays in the session)."""
        if self.websocket.closed:
            return False
        try:
            await self.websocket.send_str(text)
        except (ConnectionError, RuntimeError):
            return False
        return True

    async def send_op(self, op: int, data: Any) -> bool:
        return await self.send_raw(json.dumps({"op": op, "t": None, "s": None, "d": data}))

    def abort(self) -> None:
        """Cut the TCP connection without a closing handshake, like a network failure."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()


class Gateway:
    """Serves gateway websockets for a :class:`~ormar_bot_core.testing.DiscordServer`."""

    def __init__(self, server: DiscordServer, *, heartbeat_interval: float) -> None:
        self._server = server
        self._heartbeat_interval_ms = int(heartbeat_interval * 1000)
        self._sessions: dict[str, _Session] = {}
        self._live: dict[int, _Connection] = {}
        self._connections: set[_Connection] = set()
        self._queued: dict[int, list[tuple[str, JSON]]] = {}
        self.events: list[ConnectionEvent] = []
        """Every session that went live, in order."""
        self.shard_count: int | None = None
        """The shard count of the latest IDENTIFY."""

    @property
    def live_shards(self) -> list[int]:
        """Shards with a live session (READY or RESUMED sent, socket open)."""
        return sorted(self._live)

    def is_live(self, shard_id: int) -> bool:
        return shard_id in self._live

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """The websocket endpoint."""
        websocket = web.WebSocketResponse(autoping=True)
        await websocket.prepare(request)
        encoding = request.query.get("encoding", "json")
        if encoding != "json":
            logger.error("A gateway client asked for %r encoding: only json is served", encoding)
            await websocket.close(code=_CLOSE_DECODE_ERROR, message=b"only json encoding")
            return websocket
        connection = _Connection(websocket, request)
        self._connections.add(connection)
        try:
            await connection.send_op(_HELLO, {"heartbeat_interval": self._heartbeat_interval_ms})
            async for message in websocket:
                if message.type is WSMsgType.TEXT:
                    await self._received(connection, json.loads(message.data))
                else:
                    logger.warning("Gateway ignores a %s frame", message.type.name)
        finally:
            self._connections.discard(connection)
            self._forget(connection)
        return websocket

    def queue(self, event: str, data: JSON, shard_id: int) -> None:
        """Send ``event`` in the same burst as the next READY of ``shard_id``."""
        self._queued.setdefault(shard_id, []).append((event, data))

    async def dispatch(self, event: str, data: JSON, shard_id: int) -> None:
        """Send ``event`` to the live session of ``shard_id`` (it must be live)."""
        connection = self._live.get(shard_id)
        if connection is None or connection.session is None:
            raise RuntimeError(f"Shard {shard_id} has no live gateway session")
        session = connection.session
        async with connection.lock:
            # A frame lost with a dropped socket is replayed when the client resumes.
            await connection.send_raw(session.frame(event, data))

    def drop(self, shard_id: int, *, resume: bool) -> None:
        """Cut the live socket of ``shard_id``; with ``resume=False`` its session cannot resume."""
        connection = self._live.get(shard_id)
        if connection is None:
            raise RuntimeError(f"Shard {shard_id} has no live gateway session to drop")
        if connection.session is not None and not resume:
            connection.session.resumable = False
        self._forget(connection)
        connection.abort()

    def close(self) -> None:
        """Cut every socket (the server is stopping; a bot still connected will reconnect)."""
        for connection in list(self._connections):
            self._forget(connection)
            connection.abort()

    async def _received(self, connection: _Connection, payload: JSON) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == _HEARTBEAT:
            await connection.send_op(_HEARTBEAT_ACK, None)
        elif op == _IDENTIFY:
            await self._identify(connection, data or {})
        elif op == _RESUME:
            await self._resume(connection, data or {})
        else:
            logger.debug("Gateway ignores op %s: %s", op, data)

    async def _identify(self, connection: _Connection, data: JSON) -> None:
        shard_id, shard_count = data.get("shard") or (0, 1)
        if not 0 <= shard_id < shard_count:
            await connection.websocket.close(code=_CLOSE_INVALID_SHARD, message=b"invalid shard")
            return
        session = _Session(uuid.uuid4().hex, shard_id, shard_count)
        self._sessions[session.session_id] = session
        self.shard_count = shard_count
        server = self._server
        guilds = [guild for guild in server.guilds if guild.shard_id(shard_count) == shard_id]
        ready = {
            "v": 10,
            "user": {**server.bot_user.payload(), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(guild.id), "unavailable": True} for guild in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": server.gateway_url,
            "shard": [shard_id, shard_count],
            "application": {"id": str(server.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["ormar-bot-core testing gateway"],
        }
        burst = [("READY", ready), *(("GUILD_CREATE", guild.payload()) for guild in guilds)]
        burst += self._queued.pop(shard_id, [])
        async with connection.lock:
            for event, payload in burst:
                await connection.send_raw(session.frame(event, payload))
        self._go_live(connection, session, "identify")

    async def _resume(self, connection: _Connection, data: JSON) -> None:
        session = self._sessions.get(str(data.get("session_id")))
        if session is None or not session.resumable:
            # ``false``: the client must IDENTIFY again on a new connection.
            await connection.send_op(_INVALID_SESSION, False)
            return
        seen = data.get("seq") or 0
        async with connection.lock:
            for seq, text in session.sent:
                if seq > seen:
                    await connection.send_raw(text)
            await connection.send_raw(session.frame("RESUMED", {"_trace": ["resumed"]}))
        self._go_live(connection, session, "resume")

    def _go_live(
        self, connection: _Connection, session: _Session, kind: Literal["identify", "resume"]
    ) -> None:
        if connection.websocket.closed:
            return
        previous = self._live.get(session.shard_id)
        if previous is not None and previous is not connection:
            # The client started over while we still held its old socket.
            self._forget(previous)
            previous.abort()
        if session.connection is not None and session.connection is not connection:
            session.connection.session = None
        connection.session = session
        session.connection = connection
        self._live[session.shard_id] = connection
        self.events.append(ConnectionEvent(kind, session.shard_id, session.session_id))
        logger.info("Gateway shard %d: %s (session %s)", session.shard_id, kind, session.session_id)
        self._server.changed()

    def _forget(self, connection: _Connection) -> None:
        session = connection.session
        if session is not None and self._live.get(session.shard_id) is connection:
            del self._live[session.shard_id]
            session.connection = None
            self._server.changed()
