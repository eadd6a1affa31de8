"""The Discord objects the local server knows about, and their JSON payloads.

Only the fields the clients read are filled in, with the values a fresh guild on Discord would
have. IDs are real snowflakes: the libraries derive creation times and shard numbers from them.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["Channel", "Guild", "Message", "Snowflakes", "User"]

JSON = dict[str, Any]

_DISCORD_EPOCH_MS = 1_420_070_400_000
# Permissions of @everyone in a new guild: enough for a bot to read and answer in text channels.
_EVERYONE_PERMISSIONS = "1071698660929"


class Snowflakes:
    """Hands out unique snowflake IDs, all with the same (current) timestamp part."""

    def __init__(self) -> None:
        self._timestamp = int(time.time() * 1000) - _DISCORD_EPOCH_MS
        self._counter = itertools.count(1)

    def next(self) -> int:
        """A new ID."""
        return self._make(next(self._counter))

    def next_for_shard(self, shard_id: int, shard_count: int) -> int:
        """A new ID of a guild that Discord would route to ``shard_id`` of ``shard_count``."""
        while True:
            candidate = self.next()
            if (candidate >> 22) % shard_count == shard_id:
                return candidate

    def _make(self, increment: int) -> int:
        # The shard of a guild is (id >> 22) % shard_count: spreading the increment over the
        # timestamp bits keeps consecutive guild IDs on different shards, as on Discord.
        return ((self._timestamp + increment) << 22) | (increment & 0xFFF)


def _iso_now() -> str:
    return datetime.now(timezone.utc).isoformat()


@dataclass(frozen=True)
class User:
    """A Discord user (or the bot's own user)."""

    id: int
    name: str
    bot: bool = False

    def payload(self) -> JSON:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "system": False,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass(frozen=True)
class Channel:
    """A text channel of a guild."""

    id: int
    name: str
    guild_id: int
    position: int = 0

    def payload(self) -> JSON:
        return {
            "id": str(self.id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [],
            "nsfw": False,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
            "flags": 0,
        }


@dataclass
class Guild:
    """A guild, its text channels and its members."""

    id: int
    name: str
    owner: User
    channels: list[Channel] = field(default_factory=list)
    members: list[User] = field(default_factory=list)
    joined_at: str = field(default_factory=_iso_now)

    @property
    def channel(self) -> Channel:
        """The guild's first channel."""
        return self.channels[0]

    def channel_named(self, name: str) -> Channel:
        """The channel called ``name``."""
        for channel in self.channels:
            if channel.name == name:
                return channel
        raise LookupError(f"Guild {self.name!r} has no channel {name!r}")

    def shard_id(self, shard_count: int) -> int:
        """The shard this guild's events go to when the bot runs ``shard_count`` shards."""
        return (self.id >> 22) % shard_count

    def member_payload(self) -> JSON:
        """A member object of this guild, without its ``user`` (every member looks alike)."""
        return {
            "roles": [],
            "nick": None,
            "avatar": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
        }

    def payload(self) -> JSON:
        """The full guild, as GUILD_CREATE sends it."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner.id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "features": [],
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
            "roles": [
                {
                    "id": str(self.id),
                    "name": "@everyone",
                    "color": 0,
                    "hoist": False,
                    "icon": None,
                    "unicode_emoji": None,
                    "position": 0,
                    "permissions": _EVERYONE_PERMISSIONS,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "emojis": [],
            "stickers": [],
            "joined_at": self.joined_at,
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "members": [{**self.member_payload(), "user": user.payload()} for user in self.members],
            "channels": [channel.payload() for channel in self.channels],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


@dataclass(frozen=True)
class Message:
    """A message posted in a guild channel, by a user or by the bot."""

    id: int
    channel: Channel
    author: User
    content: str
    timestamp: str = field(default_factory=_iso_now)
    raw: JSON = field(default_factory=dict, compare=False)
    """The request body the bot sent, for messages the bot posted."""

    def payload(self, guild: Guild | None = None) -> JSON:
        """The message object; with ``guild``, as MESSAGE_CREATE sends it (with ``member``)."""
        data: JSON = {
            "id": str(self.id),
            "channel_id": str(self.channel.id),
            "guild_id": str(self.channel.guild_id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
        }
        if guild is not None:
            data["member"] = guild.member_payload()
        return data
