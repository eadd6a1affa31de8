"""Alembic environment of ormar-bot: every setting comes from the app's typed Config."""

from ormar_bot_core.migrations.environment import run_environment

run_environment()
