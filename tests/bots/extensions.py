"""The ``notes`` feature as an extension module: a file in a package, loaded by name.

Unlike :func:`notes.define_notes`, the module declares the ``notes`` app itself, as a bot's cog
module does, so the app belongs to the module the fork's extension loader executes (and executes
again on ``reload_extension``). Its cog has ``!add <text>`` and ``!count``, like
:func:`notes.notes_cog`, and is defined in the module so that unloading it removes the cog.
"""

from __future__ import annotations

import importlib
from pathlib import Path

_DECLARATIONS = '''
from notes import NoteBase
from ormar_bot_core import OrmarApp

ModelMeta = OrmarApp.create_app("notes")


class Note(NoteBase):
    ormar_config = ModelMeta.copy(tablename="notes")


async def note_down(hook):
    """Count the notes, then write one saying how many there were: two queries."""
    before = await Note.objects.count()
    await Note.objects.create(author_id=0, text=f"{hook} saw {before}")


class Notes(commands.Cog):
    @commands.command()
    async def add(self, ctx, *, text):
        saved = await Note.objects.create(author_id=ctx.author.id, text=text)
        await ctx.send(f"saved {saved.id}: {text}")

    @commands.command()
    async def count(self, ctx):
        await ctx.send(f"{await Note.objects.count()} notes")
'''

# discord.py awaits an extension's setup() and a cog's cog_load(); nextcord's are synchronous.
_SETUP = {
    "discord": """
async def setup(bot):
    await bot.add_cog(Notes())
""",
    "nextcord": """
def setup(bot):
    bot.add_cog(Notes())
""",
}

_QUERYING_SETUP = """
class QueryingNotes(Notes, name="Notes"):
    async def cog_load(self):
        await note_down("cog_load")


async def setup(bot):
    await note_down("extension setup")
    await bot.add_cog(QueryingNotes())
"""


def write_notes_extension(package: Path, fork: str, *, query_on_load: bool = False) -> str:
    """Write the extension for ``fork`` as ``<package>/notebook.py``; return its module name.

    :param query_on_load: (discord.py only) its ``setup()`` and its cog's ``cog_load()`` each
        call ``note_down`` (count, then write ``"<hook> saw <count>"``).
    """
    if query_on_load and fork != "discord":
        raise ValueError("only discord.py awaits setup() and cog_load()")
    source = "\n".join([
        '"""The notes extension."""',
        f"from {fork}.ext import commands",
        _DECLARATIONS,
        _QUERYING_SETUP if query_on_load else _SETUP[fork],
    ])  # fmt: skip
    (package / "notebook.py").write_text(source)
    importlib.invalidate_caches()
    return f"{package.name}.notebook"
