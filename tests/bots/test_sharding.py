"""An ``AutoShardedBot`` runs two shards on one database; commands on either shard write."""

from __future__ import annotations

from pathlib import Path

from forks import Fork
from notes import create_tables, define_notes, notes_cog, stored_texts
from ormar_bot_core.testing import DiscordServer, point_client_at, running_bot


async def test_commands_on_both_shards_write(fork: Fork, sqlite_url: str, database: Path) -> None:
    note = define_notes()
    create_tables(database, note)
    async with DiscordServer(shard_count=2) as server:
        guilds = [server.add_guild(f"Shard {shard}", shard_id=shard) for shard in (0, 1)]
        with point_client_at(fork.name, server):
            bot = fork.package.AutoShardedBot("!", sqlite_url, intents=fork.intents())
            await fork.add_cog(bot, notes_cog(fork.commands, note))

            async with running_bot(bot, server):
                assert sorted(bot.shards) == [0, 1]
                identified = {event.shard_id for event in server.gateway.events}
                assert identified == {0, 1}
                for shard, guild in enumerate(guilds):
                    assert bot.get_guild(guild.id).shard_id == shard
                    [reply] = await server.ask(guild.channel, f"!add from {guild.name}")
                    assert reply.content.endswith(f"from {guild.name}")

    assert stored_texts(database) == ["from Shard 0", "from Shard 1"]
    assert not bot._ormar.database.is_connected
