"""The offline Discord itself: raw events reach the bot, failures say what the bot did.

These are what a test written with ``ormar_bot_core.testing`` relies on when it fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from forks import Fork
from notes import create_tables, define_notes, notes_cog, stored_texts
from ormar_bot_core.testing import DiscordServer, point_client_at, running_bot


async def test_raw_event_reaches_listener(
    fork: Fork, server: DiscordServer, sqlite_url: str, database: Path
) -> None:
    note = define_notes()
    create_tables(database, note)
    bot = fork.bot(sqlite_url)

    async def on_member_join(member: Any) -> None:
        await note.objects.create(author_id=member.id, text=f"welcome {member.name}")

    bot.add_listener(on_member_join, "on_member_join")
    guild = server.guilds[0]
    newcomer = server.add_user("newcomer")

    async with running_bot(bot, server):
        member = {**guild.member_payload(), "user": newcomer.payload(), "guild_id": str(guild.id)}
        await server.dispatch("GUILD_MEMBER_ADD", member)
        await server.wait_until(
            lambda: stored_texts(database) == ["welcome newcomer"],
            timeout=10,
            waiting_for="the on_member_join listener to write",
        )


async def test_timeout_reports_what_the_bot_said(
    fork: Fork, server: DiscordServer, sqlite_url: str, database: Path
) -> None:
    note = define_notes()
    create_tables(database, note)
    bot = fork.bot(sqlite_url)
    await fork.add_cog(bot, notes_cog(fork.commands, note))
    channel = server.guilds[0].channel

    async with running_bot(bot, server):
        message = await server.send_message(channel, "!add only one answer")
        # The bot answers once; the wait for a second answer must fail, not hang.
        with pytest.raises(AssertionError) as failure:
            await server.wait_for_replies(2, channel=channel, after=message, timeout=0.2)

    report = str(failure.value)
    assert "waiting for 2 bot message(s) in #general after '!add only one answer'" in report
    assert "#general: 'saved 1: only one answer'" in report


async def test_unserved_route_is_a_clear_404(
    fork: Fork, server: DiscordServer, sqlite_url: str
) -> None:
    bot = fork.bot(sqlite_url)

    @bot.command()  # type: ignore[untyped-decorator]
    async def react(ctx: Any) -> None:
        try:
            await ctx.message.add_reaction("\N{THUMBS UP SIGN}")
        except fork.library.NotFound as error:
            await ctx.send(f"failed: {error}")

    async with running_bot(bot, server):
        [reply] = await server.ask(server.guilds[0].channel, "!react")

    assert "is not served by the test server" in reply.content
    [call] = server.unhandled_requests
    assert call.startswith("PUT /api/v10/channels/")
    assert "REST calls answered 404: PUT" in server.report()


async def test_point_client_at_restores_the_library(fork: Fork) -> None:
    route = fork.library.http.Route
    websocket = fork.library.gateway.DiscordWebSocket

    def endpoints() -> tuple[str, str]:
        return route.BASE, str(getattr(websocket, "DEFAULT_GATEWAY", ""))

    before = endpoints()
    async with DiscordServer() as server:
        with point_client_at(fork.name, server):
            pointed = endpoints()
    assert pointed[0] == server.api_url
    if fork.is_discordpy:
        assert pointed[1] == server.gateway_url
    assert endpoints() == before
