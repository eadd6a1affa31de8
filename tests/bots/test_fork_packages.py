"""The fork packages as users import them: the fork's bot classes plus every core name."""

from __future__ import annotations

import ormar_bot_core
import pytest
from forks import load_fork
from ormar_bot_core import OrmarBotMixin


@pytest.mark.parametrize("fork_name", ["nextcord", "discord"])
def test_the_bots_are_the_forks_bots_with_the_core_mixin(fork_name: str) -> None:
    fork = load_fork(fork_name)
    assert issubclass(fork.package.Bot, fork.commands.Bot)
    assert issubclass(fork.package.AutoShardedBot, fork.commands.AutoShardedBot)
    assert issubclass(fork.package.Bot, OrmarBotMixin)
    assert issubclass(fork.package.AutoShardedBot, OrmarBotMixin)


@pytest.mark.parametrize("fork_name", ["nextcord", "discord"])
def test_every_core_name_is_the_cores_own_object(fork_name: str) -> None:
    package = load_fork(fork_name).package
    assert {"Bot", "AutoShardedBot", *ormar_bot_core.__all__} == set(package.__all__)
    # Its own distribution's version, which is always the core's (they are released together).
    assert package.__version__ == ormar_bot_core.__version__
    for name in set(ormar_bot_core.__all__) - {"__version__"}:
        assert getattr(package, name) is getattr(ormar_bot_core, name), name
