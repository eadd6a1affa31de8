"""Bad use of the local Discord fails at once, saying what went wrong."""

from __future__ import annotations

import asyncio

import pytest
from ormar_bot_core.testing import GATEWAY_EVENTS, DiscordServer, running_bot


class SilentBot:
    """A bot that never opens a gateway connection."""

    def __init__(self) -> None:
        self.closed = asyncio.Event()

    async def start(self, token: str) -> None:
        await self.closed.wait()

    async def close(self) -> None:
        self.closed.set()


async def test_a_bot_that_never_connects_times_out_with_a_hint() -> None:
    async with DiscordServer() as server:
        bot = SilentBot()
        with pytest.raises(AssertionError) as failure:
            async with running_bot(bot, server, timeout=0.3):
                pass  # pragma: no cover
    message = str(failure.value)
    assert "Timed out after 0.3s waiting for the bot to connect" in message
    assert "No client ever reached this server's gateway" in message
    assert "point_client_at" in message
    assert "The bot said:\n  (nothing)" in message
    assert bot.closed.is_set()


@pytest.mark.parametrize(
    ("event", "hint"),
    [
        ("message_create", "Did you mean 'MESSAGE_CREATE'?"),
        ("GUILD_MEMBER_JOIN", "'GUILD_MEMBER_ADD'"),
        ("SOMETHING_ELSE", "upper snake case"),
    ],
)
async def test_an_unknown_event_is_refused_before_anything_is_sent(event: str, hint: str) -> None:
    async with DiscordServer() as server:
        with pytest.raises(ValueError, match=f"Unknown gateway event '{event}'") as failure:
            await server.dispatch(event, {}, timeout=0.1)
        with pytest.raises(ValueError, match="Unknown gateway event"):
            server.queue_event(event, {})
    assert hint in str(failure.value)


async def test_session_events_are_the_servers_own() -> None:
    async with DiscordServer() as server:
        with pytest.raises(ValueError, match="drop_connection"):
            await server.dispatch("READY", {})


def test_the_events_the_kit_sends_itself_are_known() -> None:
    assert {"MESSAGE_CREATE", "GUILD_CREATE", "INTERACTION_CREATE"} <= GATEWAY_EVENTS
