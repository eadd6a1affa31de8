"""Greetings: the bot remembers how often each member said hello."""

from __future__ import annotations

import ormar
from nextcord.ext import commands
from nextcord_ormar import AppModel, OrmarApp

ModelMeta = OrmarApp.create_app("greetings")


class Greeting(AppModel):
    ormar_config = ModelMeta.copy()

    id: int = ormar.Integer(primary_key=True)
    member_id: int = ormar.BigInteger(unique=True)
    count: int = ormar.Integer(default=0)


class Greetings(commands.Cog):
    @commands.command()
    async def hello(self, ctx: commands.Context) -> None:
        """Say hello; the bot counts."""
        greeting, _created = await Greeting.objects.get_or_create(member_id=ctx.author.id)
        await greeting.update(count=greeting.count + 1)
        times = "once" if greeting.count == 1 else f"{greeting.count} times"
        await ctx.send(f"Hello {ctx.author.display_name}, you have greeted me {times}.")


def setup(bot: commands.Bot) -> None:
    bot.add_cog(Greetings())
