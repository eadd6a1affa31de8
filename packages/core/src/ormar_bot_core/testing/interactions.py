"""Slash commands: the INTERACTION_CREATE a user's command sends, and what the bot answers."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from .payloads import JSON, Channel, Guild, Message, User

__all__ = ["Interaction", "InteractionResponse", "OptionValue"]

OptionValue = str | int | float | bool
"""The value of a slash command option: a string, an integer, a number or a boolean."""

# Discord's option types for the Python values above (bool before int: bool is an int).
_OPTION_TYPES: tuple[tuple[type, int], ...] = ((bool, 5), (int, 4), (float, 10), (str, 3))
_APPLICATION_COMMAND = 2
_CHAT_INPUT = 1
_EPHEMERAL = 1 << 6


@dataclass(frozen=True)
class InteractionResponse:
    """The bot's answer to an interaction (``POST /interactions/{id}/{token}/callback``)."""

    type: int
    """Discord's callback type: 4 a message, 5 a deferred message ("thinking"), 9 a modal, …"""
    raw: JSON = field(compare=False)
    """The request body the bot sent."""

    @property
    def content(self) -> str:
        """The message text ("" when the response carries none)."""
        return str(self.raw.get("data", {}).get("content") or "")

    @property
    def ephemeral(self) -> bool:
        """Whether only the invoking user would see the message."""
        return bool(int(self.raw.get("data", {}).get("flags") or 0) & _EPHEMERAL)


@dataclass
class Interaction:
    """A slash command a user invoked, and everything the bot answered to it."""

    id: int
    token: str
    command: str
    channel: Channel
    author: User
    responses: list[InteractionResponse] = field(default_factory=list)
    """The callback the bot sent (Discord accepts one)."""
    original: Message | None = None
    """The response message, once the bot sent or edited it."""

    @classmethod
    def new(cls, interaction_id: int, command: str, channel: Channel, author: User) -> Interaction:
        return cls(interaction_id, secrets.token_urlsafe(16), command, channel, author)

    def payload(
        self,
        guild: Guild,
        *,
        application_id: int,
        command_id: int,
        guild_command: bool,
        options: Mapping[str, OptionValue],
    ) -> JSON:
        """The INTERACTION_CREATE payload of a chat-input command invoked in a guild channel."""
        data: JSON = {
            "id": str(command_id),
            "name": self.command,
            "type": _CHAT_INPUT,
            "options": [
                {"name": name, "type": option_type(value), "value": value}
                for name, value in options.items()
            ],
        }
        if guild_command:
            data["guild_id"] = str(guild.id)
        return {
            "id": str(self.id),
            "application_id": str(application_id),
            "type": _APPLICATION_COMMAND,
            "data": data,
            "guild_id": str(guild.id),
            "channel_id": str(self.channel.id),
            "channel": self.channel.payload(),
            "member": {
                **guild.member_payload(),
                "user": self.author.payload(),
                "permissions": str((1 << 41) - 1),
            },
            "token": self.token,
            "version": 1,
            "locale": "en-US",
            "guild_locale": "en-US",
            "app_permissions": str((1 << 41) - 1),
            "attachment_size_limit": 10 * 1024 * 1024,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
        }


def option_type(value: OptionValue) -> int:
    """Discord's option type for ``value``."""
    for python_type, discord_type in _OPTION_TYPES:
        if isinstance(value, python_type):
            return discord_type
    raise TypeError(f"A slash command option is a str, int, float or bool, not {value!r}")
