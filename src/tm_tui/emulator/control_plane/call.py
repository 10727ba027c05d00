"""One authenticated request as route handlers see it, and the input checks they share.

Every check is liberal in what it accepts and raises `ApiError(400)` (or 404 for a missing record)
on what it cannot.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request

from tm_tui.emulator.control_plane.errors import ApiError
from tm_tui.emulator.control_plane.store import ControlPlaneStore
from tm_tui.emulator.control_plane.times import now, parse_time
from tm_tui.emulator.seed import ROLE_ADMIN, ROLE_SUPER_ADMIN, SeedData

# grpc-gateway's reply to an RPC returning google.protobuf.Empty.
EMPTY: dict[str, dict[str, object]] = {"empty": {}}


async def json_object(request: Request) -> dict:
    """The request body as a JSON object; an empty body is `{}`."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        payload = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "request body is not valid JSON") from exc
    if not isinstance(payload, dict):
        raise ApiError(400, "request body must be a JSON object")
    return payload


def enum_value(value: str, prefix: str, allowed: tuple[str, ...] | None = None) -> str:
    """Accept `open`, `OPEN` or `TICKET_STATUS_OPEN` alike."""
    name = value.strip().upper()
    name = name if name.startswith(prefix) else prefix + name
    if allowed is not None and name not in allowed:
        raise ApiError(400, f"invalid value {value!r}; expected one of {', '.join(allowed)}")
    return name


def required(payload: dict, name: str, kind: type | tuple[type, ...] = str) -> Any:
    value = payload.get(name)
    if value is None or value == "" or not isinstance(value, kind):
        raise ApiError(400, f"{name}: value is required")
    return value


def find(items: list[dict], key: str, value: str, what: str) -> dict:
    found = next((item for item in items if item.get(key) == value), None)
    if found is None:
        raise ApiError(404, f"{what} {value} not found")
    return found


@dataclass
class Call:
    """One authenticated request, with liberal parsers for its inputs."""

    request: Request
    store: ControlPlaneStore
    user_id: str

    @property
    def data(self) -> SeedData:
        return self.store.data

    @property
    def user(self) -> dict:
        return self.data.users[self.user_id]

    @property
    def is_admin(self) -> bool:
        return self.user.get("userRole") in (ROLE_ADMIN, ROLE_SUPER_ADMIN)

    def require_admin(self) -> None:
        if not self.is_admin:
            raise ApiError(403, "admin role required")

    def path(self, name: str) -> str:
        return self.request.path_params[name]

    def query(self, name: str) -> str | None:
        value = self.request.query_params.get(name)
        return value if value not in (None, "") else None

    def required_query(self, name: str) -> str:
        value = self.query(name)
        if value is None:
            raise ApiError(400, f"{name}: value is required")
        return value

    def flag(self, name: str) -> bool:
        value = self.query(name)
        if value is None:
            return False
        if value.lower() in ("true", "1", "yes", "on"):
            return True
        if value.lower() in ("false", "0", "no", "off"):
            return False
        raise ApiError(400, f"invalid boolean for {name}: {value!r}")

    def integer(self, name: str, default: int, *, low: int = 1, high: int = 1000) -> int:
        value = self.query(name)
        if value is None:
            return default
        try:
            number = int(float(value))
        except ValueError as exc:
            raise ApiError(400, f"invalid integer for {name}: {value!r}") from exc
        if number < low:
            raise ApiError(400, f"{name} must be at least {low}")
        return min(number, high)

    def time_range(self, default_span: timedelta) -> tuple[datetime, datetime]:
        end = parse_time(self.query("endTime")) if self.query("endTime") else now()
        start = parse_time(self.query("startTime")) if self.query("startTime") else end - default_span
        if start > end:
            raise ApiError(400, "startTime must not be after endTime")
        return start, end

    def paged(self, items: list[dict], default_size: int) -> tuple[list[dict], int, int]:
        """The `page`/`size` slice of `items`, with the page number and size used."""
        page = self.integer("page", 1, high=1_000_000)
        size = self.integer("size", default_size, high=200)
        return items[(page - 1) * size : page * size], page, size

    async def body(self) -> dict:
        return await json_object(self.request)

    def scope(self, user_id: Any) -> str:
        """The optional `userId` scoping field: only the caller's own id is honoured (admins act via
        the admin routes' explicit target ids)."""
        if user_id in (None, "", self.user_id):
            return self.user_id
        raise ApiError(403, "userId does not match the authenticated user")


Handler = Callable[[Call], Awaitable[dict]]
# (method, path, handler) rows; each route module exports its own table as ROUTES.
Routes = tuple[tuple[str, str, Handler], ...]
