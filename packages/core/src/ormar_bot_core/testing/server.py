"""A local Discord (gateway + REST) for testing bots, and the calls test bodies make on it."""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import logging
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

from aiohttp import web

from .endpoints import Endpoints
from .gateway import ConnectionEvent, Gateway
from .interactions import Interaction, InteractionResponse, OptionValue
from .payloads import JSON, Channel, Guild, Message, Snowflakes, User
from .rest import API_PREFIX, rate_limit_headers, rest_routes

__all__ = ["DEFAULT_TIMEOUT", "GATEWAY_EVENTS", "DiscordServer"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
"""Seconds any wait gives up after: long enough for a loaded CI machine, short enough that a
broken test fails instead of hanging."""

GATEWAY_EVENTS = frozenset(
    {
        "APPLICATION_COMMAND_PERMISSIONS_UPDATE",
        "AUTO_MODERATION_ACTION_EXECUTION",
        "AUTO_MODERATION_RULE_CREATE",
        "AUTO_MODERATION_RULE_DELETE",
        "AUTO_MODERATION_RULE_UPDATE",
        "CHANNEL_CREATE",
        "CHANNEL_DELETE",
        "CHANNEL_PINS_UPDATE",
        "CHANNEL_UPDATE",
        "ENTITLEMENT_CREATE",
        "ENTITLEMENT_DELETE",
        "ENTITLEMENT_UPDATE",
        "GUILD_AUDIT_LOG_ENTRY_CREATE",
        "GUILD_BAN_ADD",
        "GUILD_BAN_REMOVE",
        "GUILD_CREATE",
        "GUILD_DELETE",
        "GUILD_EMOJIS_UPDATE",
        "GUILD_INTEGRATIONS_UPDATE",
        "GUILD_MEMBERS_CHUNK",
        "GUILD_MEMBER_ADD",
        "GUILD_MEMBER_REMOVE",
        "GUILD_MEMBER_UPDATE",
        "GUILD_ROLE_CREATE",
        "GUILD_ROLE_DELETE",
        "GUILD_ROLE_UPDATE",
        "GUILD_SCHEDULED_EVENT_CREATE",
        "GUILD_SCHEDULED_EVENT_DELETE",
        "GUILD_SCHEDULED_EVENT_UPDATE",
        "GUILD_SCHEDULED_EVENT_USER_ADD",
        "GUILD_SCHEDULED_EVENT_USER_REMOVE",
        "GUILD_STICKERS_UPDATE",
        "GUILD_UPDATE",
        "INTEGRATION_CREATE",
        "INTEGRATION_DELETE",
        "INTEGRATION_UPDATE",
        "INTERACTION_CREATE",
        "INVITE_CREATE",
        "INVITE_DELETE",
        "MESSAGE_CREATE",
        "MESSAGE_DELETE",
        "MESSAGE_DELETE_BULK",
        "MESSAGE_POLL_VOTE_ADD",
        "MESSAGE_POLL_VOTE_REMOVE",
        "MESSAGE_REACTION_ADD",
        "MESSAGE_REACTION_REMOVE",
        "MESSAGE_REACTION_REMOVE_ALL",
        "MESSAGE_REACTION_REMOVE_EMOJI",
        "MESSAGE_UPDATE",
        "PRESENCE_UPDATE",
        "STAGE_INSTANCE_CREATE",
        "STAGE_INSTANCE_DELETE",
        "STAGE_INSTANCE_UPDATE",
        "THREAD_CREATE",
        "THREAD_DELETE",
        "THREAD_LIST_SYNC",
        "THREAD_MEMBERS_UPDATE",
        "THREAD_MEMBER_UPDATE",
        "THREAD_UPDATE",
        "TYPING_START",
        "USER_UPDATE",
        "VOICE_SERVER_UPDATE",
        "VOICE_STATE_UPDATE",
        "WEBHOOKS_UPDATE",
    }
)
"""The dispatch events :meth:`DiscordServer.dispatch` accepts: Discord's receive events, minus
the session events the server sends itself (READY, RESUMED)."""

_GATEWAY_PATH = "/gateway-ws/"
# How often waits look at conditions the server is not told about (the bot's own state).
_POLL_INTERVAL = 0.02


class DiscordServer:
    """Discord's gateway and REST API on ``127.0.0.1`` (an ephemeral port), for one bot.

    .. code-block:: python

        async with DiscordServer() as server:
            guild = server.add_guild("Test Guild")
            with point_client_at("discord", server):
                async with running_bot(bot, server):
                    [reply] = await server.ask(guild.channel, "!ping")
                    assert reply.content == "pong"

    Add guilds and users before the bot connects: each shard receives its guilds in the burst
    that follows READY, as on Discord.

    :param shard_count: the shard count ``/gateway/bot`` recommends (auto-sharded bots use it).
    :param heartbeat_interval: seconds between client heartbeats announced in HELLO.
    """

    def __init__(
        self,
        *,
        shard_count: int = 1,
        bot_name: str = "OrmarBot",
        heartbeat_interval: float = 41.25,
    ) -> None:
        self.shard_count = shard_count
        """The shard count ``/gateway/bot`` recommends; guilds are spread over this many shards."""
        self.snowflakes = Snowflakes()
        self.bot_user = User(self.snowflakes.next(), bot_name, bot=True)
        """The bot's own account."""
        self.application_id = self.bot_user.id
        self.owner = User(self.snowflakes.next(), "owner")
        """The application's owner, also the owner of every guild."""
        self.user = User(self.snowflakes.next(), "tester")
        """The user test messages come from unless told otherwise."""
        self.users: list[User] = [self.owner, self.user]
        """Every user but the bot: :attr:`owner`, :attr:`user`, then those of :meth:`add_user`,
        in order. Each is a member of the guilds added after it."""
        self.guilds: list[Guild] = []
        """Every guild, in the order :meth:`add_guild` added them (``guilds[0].channel`` is the
        first channel of the first)."""
        self.replies: list[Message] = []
        """Every message the bot posted, in order."""
        self.unhandled_requests: list[str] = []
        """REST calls the server had no route for (answered 404)."""
        self.application_commands: dict[tuple[str, int | None], int] = {}
        """IDs of the application commands the bot registered, by (name, guild ID or None)."""
        self.interactions: dict[str, Interaction] = {}
        """Every interaction sent to the bot, by token."""
        self.gateway = Gateway(self, heartbeat_interval=heartbeat_interval)
        self._changed = asyncio.Event()
        self._watched: list[asyncio.Task[Any]] = []
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- running ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on an ephemeral port of 127.0.0.1."""
        app = web.Application(middlewares=[rate_limit_headers(reset_after=1.0)])
        app.router.add_get(_GATEWAY_PATH, self.gateway.handle)
        app.router.add_routes(rest_routes(self))
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        sockets = runner.addresses
        self._port = int(sockets[0][1])
        logger.info("Local Discord listening on %s", self.base_url)

    async def stop(self) -> None:
        """Close every gateway socket and stop listening."""
        if self._runner is None:
            return
        self.gateway.close()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> DiscordServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("The server is not started: 'await server.start()' first")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """What the client's ``Route.BASE`` must be."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """The gateway websocket URL, as ``/gateway`` and READY's ``resume_gateway_url`` give it."""
        return "ws" + self.base_url.removeprefix("http") + _GATEWAY_PATH

    @property
    def endpoints(self) -> Endpoints:
        """Both URLs, e.g. to hand to a bot in a child process (:meth:`Endpoints.to_environ`)."""
        return Endpoints(self.api_url, self.gateway_url)

    # -- the world -------------------------------------------------------------------------

    def add_user(self, name: str) -> User:
        """A new user that can send messages."""
        user = User(self.snowflakes.next(), name)
        self.users.append(user)
        return user

    def add_guild(
        self,
        name: str = "Test Guild",
        *,
        channels: Iterable[str] = ("general",),
        shard_id: int | None = None,
    ) -> Guild:
        """A new guild with text ``channels``, holding the bot, the owner and the default user.

        :param shard_id: give the guild an ID that routes it to this shard (of
            :attr:`shard_count`).
        """
        guild_id = (
            self.snowflakes.next()
            if shard_id is None
            else self.snowflakes.next_for_shard(shard_id, self.shard_count)
        )
        guild = Guild(guild_id, name, owner=self.owner)
        guild.channels = [
            Channel(self.snowflakes.next(), channel, guild_id, position)
            for position, channel in enumerate(channels)
        ]
        guild.members = [self.bot_user, *self.users]
        self.guilds.append(guild)
        return guild

    def find_channel(self, channel_id: int) -> Channel | None:
        for guild in self.guilds:
            for channel in guild.channels:
                if channel.id == channel_id:
                    return channel
        return None

    def guild_of(self, channel: Channel) -> Guild:
        for guild in self.guilds:
            if guild.id == channel.guild_id:
                return guild
        raise LookupError(f"No guild holds channel {channel.name!r}")

    def shard_of(self, channel: Channel) -> int:
        """The shard that receives events of ``channel``'s guild."""
        return self.guild_of(channel).shard_id(self.gateway.shard_count or 1)

    # -- test bodies -----------------------------------------------------------------------

    async def wait_until_connected(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until every shard the bot identified for has a live session."""

        def connected() -> bool:
            count = self.gateway.shard_count
            return count is not None and all(map(self.gateway.is_live, range(count)))

        try:
            await self.wait_until(connected, timeout=timeout, waiting_for="the bot to connect")
        except AssertionError as error:
            if self.gateway.events:
                raise
            raise AssertionError(
                f"{error}\nNo client ever reached this server's gateway: point the bot's library "
                "at it before starting the bot (point_client_at), and check that the bot was "
                "started (bot.start) and that its setup_hook or on_connect did not hang."
            ) from None

    def message(self, channel: Channel, content: str, *, author: User | None = None) -> Message:
        """A new message by ``author`` (default :attr:`user`), not sent yet."""
        return Message(self.snowflakes.next(), channel, author or self.user, content)

    async def send_message(
        self,
        channel: Channel,
        content: str,
        *,
        author: User | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Message:
        """Post ``content`` in ``channel`` as ``author`` (default :attr:`user`): MESSAGE_CREATE."""
        message = self.message(channel, content, author=author)
        await self.dispatch(
            "MESSAGE_CREATE",
            message.payload(self.guild_of(channel)),
            shard_id=self.shard_of(channel),
            timeout=timeout,
        )
        return message

    def queue_message(
        self, channel: Channel, content: str, *, author: User | None = None
    ) -> Message:
        """Post ``content`` in the same burst as the next READY (before the bot's ``on_ready``).

        The shard is worked out from :attr:`shard_count`, the count the bot is told to use.
        """
        message = self.message(channel, content, author=author)
        guild = self.guild_of(channel)
        self.gateway.queue(
            "MESSAGE_CREATE", message.payload(guild), guild.shard_id(self.shard_count)
        )
        return message

    async def dispatch(
        self, event: str, data: JSON, *, shard_id: int = 0, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        """Send the gateway event ``event`` (e.g. ``"GUILD_UPDATE"``) with payload ``data``.

        Waits (up to ``timeout``) for the shard's session to be live, e.g. while it reconnects.

        :raises ValueError: ``event`` is not one of :data:`GATEWAY_EVENTS`.
        """
        check_event(event)
        await self.wait_until(
            lambda: self.gateway.is_live(shard_id),
            timeout=timeout,
            waiting_for=f"shard {shard_id} to be connected",
        )
        await self.gateway.dispatch(event, data, shard_id)

    def queue_event(self, event: str, data: JSON, *, shard_id: int = 0) -> None:
        """Send ``event`` in the same burst as the next READY of ``shard_id``."""
        check_event(event)
        self.gateway.queue(event, data, shard_id)

    async def wait_for_replies(
        self,
        count: int = 1,
        *,
        channel: Channel | None = None,
        after: Message | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> list[Message]:
        """The first ``count`` messages the bot posts (in ``channel``, after ``after``).

        :raises AssertionError: fewer came within ``timeout``; the message lists everything the
            bot said.
        """

        def matching() -> list[Message]:
            return [
                reply
                for reply in self.replies
                if (channel is None or reply.channel == channel)
                and (after is None or reply.id > after.id)
            ]

        where = f" in #{channel.name}" if channel is not None else ""
        since = f" after {after.content!r}" if after is not None else ""
        await self.wait_until(
            lambda: len(matching()) >= count,
            timeout=timeout,
            waiting_for=f"{count} bot message(s){where}{since}",
        )
        return matching()[:count]

    async def ask(
        self,
        channel: Channel,
        content: str,
        *,
        author: User | None = None,
        replies: int = 1,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> list[Message]:
        """Post ``content`` in ``channel`` and return the bot's next ``replies`` messages there."""
        message = await self.send_message(channel, content, author=author, timeout=timeout)
        return await self.wait_for_replies(replies, channel=channel, after=message, timeout=timeout)

    async def invoke(
        self,
        channel: Channel,
        command: str,
        options: Mapping[str, OptionValue] | None = None,
        *,
        author: User | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> InteractionResponse:
        """Invoke the slash command ``command`` in ``channel`` as ``author`` (default
        :attr:`user`) and return the bot's response to it.

        Sends INTERACTION_CREATE with the command ID the bot registered (a guild command of the
        channel's guild, else a global one) and ``options`` (name -> str, int, float or bool).

        :raises AssertionError: no response came within ``timeout``; the message lists what the
            bot did say.
        """
        interaction = await self.send_interaction(
            channel, command, options, author=author, timeout=timeout
        )
        return await self.wait_for_response(interaction, timeout=timeout)

    async def send_interaction(
        self,
        channel: Channel,
        command: str,
        options: Mapping[str, OptionValue] | None = None,
        *,
        author: User | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Interaction:
        """Send the INTERACTION_CREATE of :meth:`invoke` without waiting for the response."""
        guild = self.guild_of(channel)
        command_id = self.application_commands.get((command, guild.id))
        guild_command = command_id is not None
        if command_id is None:
            command_id = self.application_commands.get((command, None))
        if command_id is None:
            # Not registered (yet): discord.py finds commands by name, nextcord by signature.
            command_id = self.snowflakes.next()
        interaction = Interaction.new(self.snowflakes.next(), command, channel, author or self.user)
        self.interactions[interaction.token] = interaction
        payload = interaction.payload(
            guild,
            application_id=self.application_id,
            command_id=command_id,
            guild_command=guild_command,
            options=options or {},
        )
        await self.dispatch(
            "INTERACTION_CREATE", payload, shard_id=self.shard_of(channel), timeout=timeout
        )
        return interaction

    async def wait_for_response(
        self, interaction: Interaction, *, timeout: float = DEFAULT_TIMEOUT
    ) -> InteractionResponse:
        """The bot's callback to ``interaction``.

        :raises AssertionError: none came within ``timeout``.
        """
        await self.wait_until(
            lambda: bool(interaction.responses),
            timeout=timeout,
            waiting_for=f"a response to /{interaction.command}",
        )
        return interaction.responses[0]

    def record_interaction_response(self, token: str, response: InteractionResponse) -> None:
        interaction = self.interactions[token]
        interaction.responses.append(response)
        logger.info("Bot answered /%s: %r", interaction.command, response.content)
        self.changed()

    async def drop_connection(
        self, shard_id: int = 0, *, resume: bool = True, timeout: float = DEFAULT_TIMEOUT
    ) -> ConnectionEvent:
        """Cut the bot's gateway socket of ``shard_id`` and wait until it is back.

        :param resume: let the client RESUME its session; ``False`` answers its RESUME with
            INVALID_SESSION, so it IDENTIFYs again and gets a new READY.
        :returns: how the shard came back.
        """
        seen = len(self.gateway.events)
        self.gateway.drop(shard_id, resume=resume)

        def back() -> ConnectionEvent | None:
            return next(
                (event for event in self.gateway.events[seen:] if event.shard_id == shard_id),
                None,
            )

        await self.wait_until(
            lambda: back() is not None,
            timeout=timeout,
            waiting_for=f"shard {shard_id} to reconnect",
        )
        event = back()
        assert event is not None
        return event

    # -- waiting ---------------------------------------------------------------------------

    def watch(self, task: asyncio.Task[Any]) -> None:
        """Fail waits early when ``task`` (the bot's) ends, instead of waiting for the timeout."""
        self._watched.append(task)
        task.add_done_callback(lambda _task: self.changed())

    def unwatch(self, task: asyncio.Task[Any]) -> None:
        if task in self._watched:
            self._watched.remove(task)

    def changed(self) -> None:
        """Wake everything waiting on the server's state."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(
        self, condition: Callable[[], bool], *, timeout: float, waiting_for: str
    ) -> None:
        """Wait until ``condition()`` holds; fail with a report of what happened otherwise.

        ``condition`` is checked whenever the server's state changes, and every few
        milliseconds in between, so it may also look at the bot (``bot.is_ready()``).

        :param waiting_for: what the condition means, for the failure message.
        """

        async def wait() -> None:
            while not condition():
                self._check_watched(waiting_for)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), _POLL_INTERVAL)

        try:
            await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(
                f"Timed out after {timeout:g}s waiting for {waiting_for}.\n{self.report()}"
            ) from None

    def report(self) -> str:
        """What the bot did so far: its messages, its sessions, calls the server could not serve."""
        said = (
            "\n".join(f"  #{reply.channel.name}: {reply.content!r}" for reply in self.replies)
            or "  (nothing)"
        )
        sessions = ", ".join(
            f"{event.kind} shard {event.shard_id}" for event in self.gateway.events
        )
        lines = [
            f"The bot said:\n{said}",
            f"Gateway sessions: {sessions or 'none'}; live shards: {self.gateway.live_shards}",
        ]
        answered = [
            f"  /{interaction.command}: "
            + (repr(interaction.responses[0].content) if interaction.responses else "no response")
            for interaction in self.interactions.values()
        ]
        if answered:
            lines.append("Interactions:\n" + "\n".join(answered))
        if self.unhandled_requests:
            lines.append("REST calls answered 404: " + ", ".join(self.unhandled_requests))
        return "\n".join(lines)

    def record_reply(self, message: Message) -> None:
        self.replies.append(message)
        logger.info("Bot said in #%s: %r", message.channel.name, message.content)
        self.changed()

    def _check_watched(self, waiting_for: str) -> None:
        for task in self._watched:
            if not task.done():
                continue
            if task.cancelled():
                reason = "was cancelled"
            elif task.exception() is not None:
                reason = f"failed: {task.exception()!r}"
            else:
                reason = "stopped"
            raise AssertionError(
                f"The bot {reason} while waiting for {waiting_for}.\n{self.report()}"
            ) from (task.exception() if not task.cancelled() else None)


def check_event(event: str) -> None:
    """Refuse an event name Discord does not send, naming the close ones.

    :raises ValueError: ``event`` is not in :data:`GATEWAY_EVENTS`.
    """
    if event in GATEWAY_EVENTS:
        return
    if event in ("READY", "RESUMED"):
        raise ValueError(
            f"The server sends {event} itself when a client connects: use drop_connection() "
            "to make the bot connect again"
        )
    close = (
        [event.upper()]
        if event.upper() in GATEWAY_EVENTS
        else difflib.get_close_matches(event.upper(), sorted(GATEWAY_EVENTS), n=3)
    )
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise ValueError(
        f"Unknown gateway event {event!r}: Discord names its events in upper snake case, "
        f"e.g. 'MESSAGE_CREATE' or 'GUILD_MEMBER_ADD' (see GATEWAY_EVENTS).{hint}"
    )
