"""Notes: members save short notes and list their own."""

from __future__ import annotations

import discord
import ormar
from discord import app_commands
from discord.ext import commands
from discordpy_ormar import AppModel, OrmarApp

ModelMeta = OrmarApp.create_app("notes")


class Note(AppModel):
    ormar_config = ModelMeta.copy()

    id: int = ormar.Integer(primary_key=True)
    author_id: int = ormar.BigInteger(index=True)
    text: str = ormar.Text()


class Notes(commands.Cog):
    @commands.command()
    async def note(self, ctx: commands.Context[commands.Bot], *, text: str) -> None:
        """Save a note."""
        saved = await Note.objects.create(author_id=ctx.author.id, text=text)
        await ctx.send(f"Saved note #{saved.id}.")

    @commands.command()
    async def notes(self, ctx: commands.Context[commands.Bot]) -> None:
        """List your notes."""
        mine = await Note.objects.filter(author_id=ctx.author.id).order_by("id").all()
        lines = [f"#{note.id} {note.text}" for note in mine] or ["No notes yet."]
        await ctx.send("\n".join(lines))

    # A slash command of the cog joins bot.tree with it; the owner's !sync publishes it.
    @app_commands.command(description="Save a note")
    @app_commands.describe(text="What to remember")
    async def remember(self, interaction: discord.Interaction, text: str) -> None:
        saved = await Note.objects.create(author_id=interaction.user.id, text=text)
        # Only the member who saved it sees the answer.
        await interaction.response.send_message(f"Saved note #{saved.id}.", ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Notes())
