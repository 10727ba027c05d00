"""Profile, users and API keys (reference §4.3). Keys created or revoked here start or stop working
for inference at once."""

from __future__ import annotations

import secrets
from typing import Any

from tm_tui.emulator.control_plane.call import EMPTY, Call, Routes, find, required
from tm_tui.emulator.control_plane.errors import ApiError
from tm_tui.emulator.control_plane.times import now, parse_time
from tm_tui.emulator.seed import rfc3339


async def get_profile(call: Call) -> dict:
    return {"user": call.user}


async def accept_tos(call: Call) -> dict:
    call.scope(call.query("userId"))
    call.user["tosAcceptedAt"] = rfc3339(now())
    call.store.record_activity(
        call.user_id, "user.tos_accepted", "user", call.user_id, "Accepted terms of service"
    )
    return {"user": call.user}


async def update_user(call: Call) -> dict:
    target = call.path("userId")
    if target not in call.data.users:
        raise ApiError(404, f"user {target} not found")
    if target != call.user_id and not call.is_admin:
        raise ApiError(403, "cannot update another user")
    payload = await call.body()
    for name in ("firstName", "lastName", "displayName", "company"):
        if name in payload:
            if not isinstance(payload[name], str):
                raise ApiError(400, f"{name} must be a string")
            call.data.users[target][name] = payload[name]
    call.store.record_activity(call.user_id, "user.updated", "user", target, "Updated profile")
    return EMPTY


async def list_api_keys(call: Call) -> dict:
    call.scope(call.query("userId"))
    keys = (
        call.data.api_keys
        if call.flag("includeDeleted")
        else [k for k in call.data.api_keys if "deletedAt" not in k]
    )
    return {"apiKeys": keys}


async def create_api_key(call: Call) -> dict:
    payload = await call.body()
    call.scope(required(payload, "userId"))
    scopes = payload.get("scopes") or []
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ApiError(400, "scopes must be a list of strings")
    key: dict[str, Any] = {
        "id": f"tmk_live_{secrets.token_hex(8)}",
        "name": str(payload.get("name") or "unnamed"),
        "scopes": scopes,
        "createdAt": rfc3339(now()),
    }
    if payload.get("expiresAt"):
        expires = parse_time(payload["expiresAt"])
        if expires <= now():
            raise ApiError(400, "expiresAt must be in the future")
        key["expiresAt"] = rfc3339(expires)
    call.data.api_keys.insert(0, key)
    call.store.state.inference_keys.add(key["id"])
    call.store.record_activity(
        call.user_id, "api_key.created", "api_key", key["id"], f"Created API key {key['name']}"
    )
    return {"apiKey": key}


async def delete_api_key(call: Call) -> dict:
    call.scope(call.query("userId"))
    key_id = call.required_query("apiKey")
    key = find(call.data.api_keys, "id", key_id, "api key")
    if "deletedAt" in key:
        raise ApiError(404, "api key already deleted")
    key["deletedAt"] = rfc3339(now())
    call.store.state.inference_keys.discard(key_id)
    call.store.record_activity(
        call.user_id, "api_key.deleted", "api_key", key_id, f"Revoked API key {key['name']}"
    )
    return EMPTY


# Literal routes come before the `{userId}` route they would otherwise match.
ROUTES: Routes = (
    ("GET", "/auth/profile", get_profile),
    ("POST", "/v1/users/accept-tos", accept_tos),
    ("GET", "/v1/users/api-keys", list_api_keys),
    ("POST", "/v1/users/api-keys", create_api_key),
    ("DELETE", "/v1/users/api-keys", delete_api_key),
    ("PUT", "/v1/users/{userId}", update_user),
)
