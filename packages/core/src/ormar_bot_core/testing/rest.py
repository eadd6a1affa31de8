"""The REST half of the local Discord server.

It answers what the clients call while logging in, connecting and replying. Every answer is a
JSON body with ``Content-Type: application/json`` exactly: the clients decode a body only when the
header has no ``charset`` parameter. A route it does not know is logged, remembered (failure
messages list it) and answered with Discord's 404 body, so a missing route shows up as a clear
``NotFound`` in the bot instead of a hang.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .interactions import InteractionResponse
from .payloads import JSON, Channel, Message

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler, Middleware

    from .server import DiscordServer

__all__ = ["API_PREFIX", "rate_limit_headers", "rest_routes"]

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
"""Where the REST API lives on the server; the clients' ``Route.BASE`` points here."""

_RATE_LIMIT = 10_000
# Interaction callback types that carry (or promise) a message, and Discord's error code for a
# second callback.
_CHANNEL_MESSAGE = 4
_DEFERRED_MESSAGE = 5
_MESSAGE_CALLBACKS = (_CHANNEL_MESSAGE,)
_ALREADY_ACKNOWLEDGED = 40060


def json_response(data: Any, *, status: int = 200) -> web.Response:
    """A JSON answer the clients decode (no ``charset`` in the content type)."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type="application/json"
    )


def error_response(status: int, message: str, code: int = 0) -> web.Response:
    """Discord's error body."""
    return json_response({"message": message, "code": code}, status=status)


def rate_limit_headers(reset_after: float) -> Middleware:
    """A middleware announcing a generous rate limit on every answer.

    Without these headers some clients (nextcord 3) assume one request per ``reset_after`` per
    route and make a bot wait; with them, no test waits for a rate limit.
    """

    @web.middleware
    async def add_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else request.path
        bucket = hashlib.sha1(f"{request.method} {route}".encode()).hexdigest()
        response.headers.update(
            {
                "X-RateLimit-Bucket": bucket,
                "X-RateLimit-Limit": str(_RATE_LIMIT),
                "X-RateLimit-Remaining": str(_RATE_LIMIT - 1),
                "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            }
        )
        return response

    return add_headers


def rest_routes(server: DiscordServer) -> web.RouteTableDef:
    """The REST routes of ``server``, ending with a catch-all for unknown calls."""
    routes = web.RouteTableDef()

    @routes.get(API_PREFIX + "/users/@me")
    async def current_user(request: web.Request) -> web.Response:
        user = server.bot_user.payload()
        return json_response({**user, "verified": True, "mfa_enabled": False, "locale": "en-US"})

    @routes.get(API_PREFIX + "/oauth2/applications/@me")
    async def application(request: web.Request) -> web.Response:
        return json_response(
            {
                "id": str(server.application_id),
                "name": server.bot_user.name,
                "icon": None,
                "description": "",
                "summary": "",
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "bot": server.bot_user.payload(),
                "owner": server.owner.payload(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "tags": [],
                "interactions_endpoint_url": None,
                "redirect_uris": [],
            }
        )

    @routes.get(API_PREFIX + "/gateway")
    async def gateway(request: web.Request) -> web.Response:
        return json_response({"url": server.gateway_url})

    @routes.get(API_PREFIX + "/gateway/bot")
    async def gateway_bot(request: web.Request) -> web.Response:
        return json_response(
            {
                "url": server.gateway_url,
                "shards": server.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    @routes.post(API_PREFIX + "/channels/{channel_id}/messages")
    async def create_message(request: web.Request) -> web.Response:
        channel = server.find_channel(int(request.match_info["channel_id"]))
        if channel is None:
            return error_response(404, "Unknown Channel", 10003)
        message = bot_message(channel, await _message_body(request))
        server.record_reply(message)
        return json_response(message.payload(server.guild_of(channel)))

    @routes.post(API_PREFIX + "/channels/{channel_id}/typing")
    async def typing(request: web.Request) -> web.Response:
        return web.Response(status=204)

    # Application command sync (nextcord does it at every READY): the bot has none on Discord.
    @routes.get(API_PREFIX + "/applications/{application_id}/commands")
    @routes.get(API_PREFIX + "/applications/{application_id}/guilds/{guild_id}/commands")
    async def list_commands(request: web.Request) -> web.Response:
        return json_response([])

    @routes.put(API_PREFIX + "/applications/{application_id}/commands")
    @routes.put(API_PREFIX + "/applications/{application_id}/guilds/{guild_id}/commands")
    async def overwrite_commands(request: web.Request) -> web.Response:
        commands = await request.json()
        return json_response([register(request, command) for command in commands])

    @routes.post(API_PREFIX + "/applications/{application_id}/commands")
    @routes.post(API_PREFIX + "/applications/{application_id}/guilds/{guild_id}/commands")
    async def create_command(request: web.Request) -> web.Response:
        return json_response(register(request, await request.json()), status=201)

    def register(request: web.Request, command: JSON) -> JSON:
        guild_id = request.match_info.get("guild_id")
        command_id = server.snowflakes.next()
        key = (str(command.get("name")), int(guild_id) if guild_id else None)
        server.application_commands[key] = command_id
        registered = {**command, "id": str(command_id), "version": "1"}
        registered["application_id"] = str(server.application_id)
        if guild_id:
            registered["guild_id"] = guild_id
        return registered

    # Slash command responses: the callback, then follow-ups and edits through the webhook.
    @routes.post(API_PREFIX + "/interactions/{interaction_id}/{token}/callback")
    async def interaction_callback(request: web.Request) -> web.Response:
        interaction = server.interactions.get(request.match_info["token"])
        if interaction is None:
            return error_response(404, "Unknown interaction", 10062)
        if interaction.responses:
            return error_response(
                400, "Interaction has already been acknowledged.", _ALREADY_ACKNOWLEDGED
            )
        body = await _message_body(request)
        response = InteractionResponse(int(body.get("type") or 0), body)
        message = None
        if response.type in _MESSAGE_CALLBACKS:
            message = bot_message(interaction.channel, body.get("data") or {})
            interaction.original = message
        server.record_interaction_response(interaction.token, response)
        if message is not None:
            server.record_reply(message)
        resource: JSON = {"type": response.type}
        if message is not None:
            resource["message"] = message.payload(server.guild_of(interaction.channel))
        # discord.py asks for this body (with_response); nextcord ignores it.
        return json_response(
            {
                "interaction": {
                    "id": str(interaction.id),
                    "type": 2,
                    "response_message_id": str(message.id) if message else None,
                    "response_message_loading": response.type == _DEFERRED_MESSAGE,
                    "response_message_ephemeral": response.ephemeral,
                },
                "resource": resource,
            }
        )

    @routes.post(API_PREFIX + "/webhooks/{application_id}/{token}")
    async def followup(request: web.Request) -> web.Response:
        interaction = server.interactions.get(request.match_info["token"])
        if interaction is None:
            return error_response(404, "Unknown Webhook", 10015)
        message = bot_message(interaction.channel, await _message_body(request))
        server.record_reply(message)
        return json_response(message.payload(server.guild_of(interaction.channel)))

    @routes.get(API_PREFIX + "/webhooks/{application_id}/{token}/messages/@original")
    @routes.patch(API_PREFIX + "/webhooks/{application_id}/{token}/messages/@original")
    async def original(request: web.Request) -> web.Response:
        interaction = server.interactions.get(request.match_info["token"])
        if interaction is None:
            return error_response(404, "Unknown Webhook", 10015)
        if request.method == "PATCH":
            # An edit (e.g. after a deferred response) shows as the bot's newest message.
            interaction.original = bot_message(interaction.channel, await _message_body(request))
            server.record_reply(interaction.original)
        if interaction.original is None:
            return error_response(404, "Unknown Message", 10008)
        return json_response(interaction.original.payload(server.guild_of(interaction.channel)))

    def bot_message(channel: Channel, body: JSON) -> Message:
        return Message(
            id=server.snowflakes.next(),
            channel=channel,
            author=server.bot_user,
            content=str(body.get("content") or ""),
            raw=body,
        )

    @routes.route("*", "/{path:.*}")
    async def unknown(request: web.Request) -> web.Response:
        call = f"{request.method} {request.path}"
        server.unhandled_requests.append(call)
        logger.warning("The local Discord server has no route for %s: answering 404", call)
        return error_response(404, f"404: Not Found ({call} is not served by the test server)")

    return routes


async def _message_body(request: web.Request) -> JSON:
    if request.content_type == "multipart/form-data":
        # Messages with files: the JSON part is the form field ``payload_json``.
        form = await request.post()
        payload = form.get("payload_json")
        body: JSON = json.loads(payload) if isinstance(payload, str) else {}
        body["attachments"] = [
            getattr(value, "filename", key) for key, value in form.items() if key != "payload_json"
        ]
        return body
    data = await request.json()
    return data if isinstance(data, dict) else {}
