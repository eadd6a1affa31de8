"""A slash command writes through an app model; its response and follow-ups are captured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from forks import Fork
from notes import create_tables, define_notes, stored_texts
from ormar_bot_core.testing import DiscordServer, running_bot


def add_slash_commands(fork: Fork, bot: Any, note: Any) -> None:
    """``/remember text`` (saves, answers) and ``/recall`` (defers, then follows up)."""

    async def remember(interaction: Any, text: str) -> None:
        saved = await note.objects.create(author_id=interaction.user.id, text=text)
        await interaction.response.send_message(f"saved {saved.id}: {text}", ephemeral=True)

    async def recall(interaction: Any) -> None:
        await interaction.response.defer()
        texts = [saved.text for saved in await note.objects.order_by("id").all()]
        await interaction.followup.send(", ".join(texts) or "nothing")

    if fork.is_discordpy:
        bot.tree.command(name="remember", description="Save a note")(remember)
        bot.tree.command(name="recall", description="List the notes")(recall)
    else:
        library = fork.library
        remember.__annotations__ = {"interaction": library.Interaction, "text": str}
        recall.__annotations__ = {"interaction": library.Interaction}
        bot.slash_command(name="remember", description="Save a note")(remember)
        bot.slash_command(name="recall", description="List the notes")(recall)


async def test_slash_command_writes_and_answers(
    fork: Fork, server: DiscordServer, sqlite_url: str, database: Path
) -> None:
    note = define_notes()
    create_tables(database, note)
    bot = fork.bot(sqlite_url)
    add_slash_commands(fork, bot, note)
    channel = server.guilds[0].channel

    async with running_bot(bot, server):
        response = await server.invoke(channel, "remember", {"text": "buy milk"})
        assert response.content == "saved 1: buy milk"
        assert response.ephemeral
        assert stored_texts(database) == ["buy milk"]

        interaction = await server.send_interaction(channel, "recall")
        deferred = await server.wait_for_response(interaction)
        assert deferred.type == 5
        # The first reply is /remember's response message.
        replies = await server.wait_for_replies(2, channel=channel)
        assert replies[1].content == "buy milk"


async def test_an_unanswered_interaction_fails_with_a_report(
    fork: Fork, server: DiscordServer, sqlite_url: str
) -> None:
    bot = fork.bot(sqlite_url)
    async with running_bot(bot, server):
        with pytest.raises(AssertionError) as failure:
            await server.invoke(server.guilds[0].channel, "missing", timeout=0.5)
    assert "waiting for a response to /missing" in str(failure.value)
    assert "/missing: no response" in str(failure.value)
