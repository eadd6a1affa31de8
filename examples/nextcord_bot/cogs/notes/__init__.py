"""Notes: members save short notes and list their own."""

from __future__ import annotations

import nextcord
import ormar
from nextcord.ext import commands
from nextcord_ormar import AppModel, OrmarApp

ModelMeta = OrmarApp.create_app("notes")


class Note(AppModel):
    ormar_config = ModelMeta.copy()

    id: int = ormar.Integer(primary_key=True)
    author_id: int = ormar.BigInteger(index=True)
    text: str = ormar.Text()


class Notes(commands.Cog):
    @commands.command()
    async def note(self, ctx: commands.Context, *, text: str) -> None:
        """Save a note."""
        saved = await Note.objects.create(author_id=ctx.author.id, text=text)
        await ctx.send(f"Saved note #{saved.id}.")

    @commands.command()
    async def notes(self, ctx: commands.Context) -> None:
        """List your notes."""
        mine = await Note.objects.filter(author_id=ctx.author.id).order_by("id").all()
        lines = [f"#{note.id} {note.text}" for note in mine] or ["No notes yet."]
        await ctx.send("\n".join(lines))

    # nextcord registers the slash commands of its cogs with Discord when the bot connects.
    @nextcord.slash_command(description="Save a note")
    async def remember(
        self,
        interaction: nextcord.Interaction,
        text: str = nextcord.SlashOption(description="What to remember"),
    ) -> None:
        saved = await Note.objects.create(author_id=interaction.user.id, text=text)
        # Only the member who saved it sees the answer.
        await interaction.response.send_message(f"Saved note #{saved.id}.", ephemeral=True)


def setup(bot: commands.Bot) -> None:
    bot.add_cog(Notes())
