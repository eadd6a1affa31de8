"""Where a local Discord listens, passed to clients in this process or in a child process."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Endpoints"]

_API_VARIABLE = "ORMAR_BOT_TESTING_API_URL"
_GATEWAY_VARIABLE = "ORMAR_BOT_TESTING_GATEWAY_URL"


@dataclass(frozen=True)
class Endpoints:
    """The REST base URL and the gateway URL of a local Discord."""

    api_url: str
    """What a client's ``Route.BASE`` must be."""
    gateway_url: str
    """The gateway websocket URL."""

    def to_environ(self) -> dict[str, str]:
        """Environment variables that carry these endpoints to a child process."""
        return {_API_VARIABLE: self.api_url, _GATEWAY_VARIABLE: self.gateway_url}

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Endpoints:
        """The endpoints a parent process passed with :meth:`to_environ`."""
        environ = os.environ if environ is None else environ
        try:
            return cls(environ[_API_VARIABLE], environ[_GATEWAY_VARIABLE])
        except KeyError as missing:
            raise LookupError(
                f"{missing} is not set: start this process with the variables of "
                "DiscordServer.endpoints.to_environ()"
            ) from None
