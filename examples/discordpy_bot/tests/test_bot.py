"""The example bot's commands, offline: a local Discord, a fresh database per test (a SQLite
file, or one on the server that ORMAR_BOT_TEST_DATABASE_URL names)."""

from __future__ import annotations

from typing import Any

import pytest
from cogs.notes import Note
from ormar_bot_core.testing import Channel, DiscordServer


async def test_notes_are_saved_and_listed(
    discord_bot: Any, discord_server: DiscordServer, discord_channel: Channel
) -> None:
    [saved] = await discord_server.ask(discord_channel, "!note buy milk")
    assert saved.content == "Saved note #1."
    [listed] = await discord_server.ask(discord_channel, "!notes")
    assert listed.content == "#1 buy milk"


async def test_the_remember_slash_command_saves_a_note(
    discord_bot: Any, discord_server: DiscordServer, discord_channel: Channel
) -> None:
    response = await discord_server.invoke(discord_channel, "remember", {"text": "buy milk"})
    assert response.content == "Saved note #1."
    assert response.ephemeral
    [note] = await Note.objects.all()
    assert (note.author_id, note.text) == (discord_server.user.id, "buy milk")
    [listed] = await discord_server.ask(discord_channel, "!notes")
    assert listed.content == "#1 buy milk"


async def test_the_owner_publishes_the_slash_commands(
    discord_bot: Any, discord_server: DiscordServer, discord_channel: Channel
) -> None:
    [synced] = await discord_server.ask(discord_channel, "!sync", author=discord_server.owner)
    assert synced.content == "Synced: /remember"
    assert ("remember", None) in discord_server.application_commands


async def test_each_test_starts_with_an_empty_database(
    discord_bot: Any, discord_server: DiscordServer, discord_channel: Channel
) -> None:
    [listed] = await discord_server.ask(discord_channel, "!notes")
    assert listed.content == "No notes yet."
    # Numbering starts again: the note of the test above is in a database of its own.
    [saved] = await discord_server.ask(discord_channel, "!note call mum")
    assert saved.content == "Saved note #1."


# One shared database whose changes are rolled back after each test: both rounds count from 0.
@pytest.mark.ormar_bot(isolation="rollback")
@pytest.mark.parametrize("round_", [1, 2])
async def test_greetings_are_counted(
    discord_bot: Any, discord_server: DiscordServer, discord_channel: Channel, round_: int
) -> None:
    await discord_server.ask(discord_channel, "!hello")
    [again] = await discord_server.ask(discord_channel, "!hello")
    assert again.content.endswith("you have greeted me 2 times.")
