"""The emulator's control plane: every route of reference §4 and the CLI login endpoints of §7.3.

Replies follow grpc-gateway's proto3-JSON conventions: lowerCamelCase keys, every wrapper key present
(lists as `[]`), Money objects, uint64 counters as strings, `{"empty": {}}` acknowledgements, and
errors as `{"code", "message", "details": []}` with the matching HTTP status. Mutations change what
later reads return, and API keys created or revoked here start or stop working for inference.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tm_tui.emulator.faults import FaultMiddleware
from tm_tui.emulator.inference_app import RequestIdMiddleware
from tm_tui.emulator.login_page import (
    POLL_INTERVAL_S,
    LoginFlow,
    Outcome,
    render_approval_page,
    render_result_page,
)
from tm_tui.emulator.seed import (
    DEPLOYMENT_METRICS,
    MODEL_DELETED,
    MODEL_PENDING,
    MODEL_UP,
    PROVIDER_ENDPOINTS,
    ROLE_ADMIN,
    ROLE_SUPER_ADMIN,
    TICKET_CLOSED,
    TICKET_OPEN,
    TICKET_STATUSES,
    USER_METRICS,
    USER_ROLES,
    SeedData,
    activity_record,
    metric_series,
    money,
    money_value,
    rfc3339,
)
from tm_tui.emulator.state import EmulatorState

# HTTP status -> grpc status code, as grpc-gateway maps them.
_GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 409: 6, 410: 9, 500: 13}
EMPTY = {"empty": {}}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"code": _GRPC_CODES.get(status, 2), "message": message, "details": []}
    return JSONResponse(body, status_code=status, headers=headers)


class ControlPlaneStore:
    """The control plane's mutable world: seeded data plus the login flow. Tests poke it directly."""

    def __init__(self, state: EmulatorState, data: SeedData) -> None:
        self.state = state
        self.data = data
        self.login = LoginFlow(state)
        self._activity_seq = len(data.activities)
        self.payment_intents: dict[str, Decimal] = {}
        # Active, unexpired seeded keys work for inference exactly like keys created later.
        for key in data.api_keys:
            if "deletedAt" not in key and _parse_time(key["expiresAt"]) > data.now:
                state.inference_keys.add(key["id"])

    def approve(self, cli_code: str) -> bool:
        return self.login.approve(cli_code)

    def deny(self, cli_code: str) -> bool:
        return self.login.deny(cli_code)

    def set_user_role(self, user_id: str, role: str) -> None:
        self.data.users[user_id]["userRole"] = role

    def record_activity(
        self, user_id: str, action: str, resource_type: str, resource_id: str, text: str
    ) -> None:
        self._activity_seq += 1
        record = activity_record(
            f"act_{self._activity_seq:05d}", user_id, action, resource_type, resource_id, text, _now()
        )
        self.data.activities.insert(0, record)

    def add_ledger_entry(
        self, user_id: str, amount: Decimal, kind: str, description: str, **extra: Any
    ) -> dict:
        self.data.balances[user_id] = self.data.balances.get(user_id, Decimal(0)) + amount
        entry = {
            "transactionId": f"txn_{secrets.token_hex(6)}",
            "createdAt": rfc3339(_now()),
            "amount": money(amount),
            "description": description,
            "status": "TRANSACTION_STATUS_SUCCEEDED",
            "type": kind,
            **extra,
        }
        if user_id == self.state.user_id:
            self.data.transactions.insert(0, entry)
        return entry


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _parse_time(value: Any) -> datetime:
    """RFC 3339 (with Z or an offset), a bare date, or unix seconds — be liberal in what we accept."""
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, OverflowError, OSError) as exc:
        raise ApiError(400, f"invalid timestamp {text!r}: expected RFC 3339") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _enum(value: str, prefix: str, allowed: tuple[str, ...] | None = None) -> str:
    """Accept `open`, `OPEN` or `TICKET_STATUS_OPEN` alike."""
    name = value.strip().upper()
    name = name if name.startswith(prefix) else prefix + name
    if allowed is not None and name not in allowed:
        raise ApiError(400, f"invalid value {value!r}; expected one of {', '.join(allowed)}")
    return name


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
        end = _parse_time(self.query("endTime")) if self.query("endTime") else _now()
        start = _parse_time(self.query("startTime")) if self.query("startTime") else end - default_span
        if start > end:
            raise ApiError(400, "startTime must not be after endTime")
        return start, end

    async def body(self) -> dict:
        raw = await self.request.body()
        if not raw.strip():
            return {}
        try:
            payload = json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, "request body is not valid JSON") from exc
        if not isinstance(payload, dict):
            raise ApiError(400, "request body must be a JSON object")
        return payload

    def scope(self, user_id: Any) -> str:
        """The optional `userId` scoping field: only the caller's own id is honoured (admins act via
        the admin routes' explicit target ids)."""
        if user_id in (None, "", self.user_id):
            return self.user_id
        raise ApiError(403, "userId does not match the authenticated user")


def _required(payload: dict, name: str, kind: type | tuple[type, ...] = str) -> Any:
    value = payload.get(name)
    if value is None or value == "" or not isinstance(value, kind):
        raise ApiError(400, f"{name}: value is required")
    return value


def _find(items: list[dict], key: str, value: str, what: str) -> dict:
    found = next((item for item in items if item.get(key) == value), None)
    if found is None:
        raise ApiError(404, f"{what} {value} not found")
    return found


# ---------------------------------------------------------------- auth profile and users (§4.3)


async def get_profile(call: Call) -> dict:
    return {"user": call.user}


async def accept_tos(call: Call) -> dict:
    call.scope(call.query("userId"))
    call.user["tosAcceptedAt"] = rfc3339(_now())
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
    call.scope(_required(payload, "userId"))
    scopes = payload.get("scopes") or []
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ApiError(400, "scopes must be a list of strings")
    key = {
        "id": f"tmk_live_{secrets.token_hex(8)}",
        "name": str(payload.get("name") or "unnamed"),
        "scopes": scopes,
        "createdAt": rfc3339(_now()),
    }
    if payload.get("expiresAt"):
        expires = _parse_time(payload["expiresAt"])
        if expires <= _now():
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
    key_id = call.query("apiKey")
    if key_id is None:
        raise ApiError(400, "apiKey: value is required")
    key = _find(call.data.api_keys, "id", key_id, "api key")
    if "deletedAt" in key:
        raise ApiError(404, "api key already deleted")
    key["deletedAt"] = rfc3339(_now())
    call.store.state.inference_keys.discard(key_id)
    call.store.record_activity(
        call.user_id, "api_key.deleted", "api_key", key_id, f"Revoked API key {key['name']}"
    )
    return EMPTY


# ---------------------------------------------------------------- billing (§4.4)


async def get_balance(call: Call) -> dict:
    return {"balance": money(call.data.balances[call.scope(call.query("userId"))])}


async def get_address(call: Call) -> dict:
    call.scope(call.query("userId"))
    return {"address": call.data.address}


_ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postalCode", "country", "company", "phone", "name")


async def update_address(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    address = _required(payload, "address", dict)
    if any(not isinstance(v, str) for k, v in address.items() if k in _ADDRESS_FIELDS):
        raise ApiError(400, "address fields must be strings")
    call.data.address = {k: v for k, v in address.items() if k in _ADDRESS_FIELDS}
    call.store.record_activity(
        call.user_id, "billing.address.updated", "billing_address", call.user_id, "Updated billing address"
    )
    return EMPTY


def _encode_token(transaction_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": transaction_id}).encode()).decode().rstrip("=")


def _decode_token(token: str) -> str:
    try:
        after = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ApiError(400, "invalid pageToken") from exc
    return str(after)


async def list_transactions(call: Call) -> dict:
    call.scope(call.query("userId"))
    size = call.integer("pageSize", 50, high=500)
    items = call.data.transactions
    start = 0
    if token := call.query("pageToken"):
        # A cursor (not an offset) so entries added on top while paging don't shift later pages.
        after = _decode_token(token)
        index = next((i for i, t in enumerate(items) if t["transactionId"] == after), None)
        if index is None:
            raise ApiError(400, "invalid pageToken")
        start = index + 1
    page = items[start : start + size]
    body: dict[str, Any] = {"transactions": page}
    if start + size < len(items):
        body["nextPageToken"] = _encode_token(page[-1]["transactionId"])
    return body


async def spending_summary(call: Call) -> dict:
    call.scope(call.query("userId"))
    return _summary(call.data)


def _summary(data: SeedData) -> dict:
    days = data.spending_days
    return {
        f"spend{n}{unit}": money(sum((a for _, a, _ in days[-d:]), Decimal(0)))
        for n, unit, d in ((24, "h", 1), (7, "d", 7), (30, "d", 30))
    }


async def spending_history(call: Call) -> dict:
    call.scope(call.query("userId"))
    return {
        "buckets": [
            {
                "bucketStart": f"{day.isoformat()}T00:00:00Z",
                "amount": money(amount),
                "costSaving": money(saving),
            }
            for day, amount, saving in call.data.spending_days
        ]
    }


_BUCKETS = ("USAGE_BUCKET_DAY", "USAGE_BUCKET_WEEK", "USAGE_BUCKET_MONTH")


def _bucket_start(day: date, bucket: str) -> date:
    if bucket == "USAGE_BUCKET_WEEK":
        return day - timedelta(days=day.weekday())
    if bucket == "USAGE_BUCKET_MONTH":
        return day.replace(day=1)
    return day


async def usage_history(call: Call) -> dict:
    call.scope(call.query("userId"))
    bucket = _enum(call.query("bucket") or "DAY", "USAGE_BUCKET_", _BUCKETS)
    start, end = call.time_range(timedelta(days=30))
    totals: dict[tuple[date, str], list[int]] = {}
    first, last = start.date(), end.date()
    for (day, model), row in call.data.usage.items():
        if first <= day <= last:
            sums = totals.setdefault((_bucket_start(day, bucket), model), [0, 0, 0, 0])
            for i, value in enumerate((row.input_tokens, row.output_tokens, row.cached_tokens, row.requests)):
                sums[i] += value
    rows = [
        {
            "bucketStart": f"{bucket_day.isoformat()}T00:00:00Z",
            "modelId": model,
            "inputTokens": str(sums[0]),
            "outputTokens": str(sums[1]),
            "cachedTokens": str(sums[2]),
            "requestCount": str(sums[3]),
        }
        for (bucket_day, model), sums in sorted(totals.items())
    ]
    return {"rows": rows}


async def serverless_pricing(call: Call) -> dict:
    rows = call.data.serverless_pricing
    if model := call.query("model"):
        rows = [r for r in rows if r["model"] == model]
    if call.flag("activeOnly"):
        rows = [r for r in rows if r["isActive"]]
    return {"pricing": rows}


async def gpu_pricing(call: Call) -> dict:
    rows = call.data.gpu_pricing
    if provider := call.query("cloudProvider"):
        rows = [r for r in rows if r["cloudProvider"] == _enum(provider, "CLOUD_PROVIDER_")]
    if gpu := call.query("gpuType"):
        rows = [r for r in rows if r["gpuType"] == _enum(gpu, "GPU_TYPE_")]
    if call.flag("activeOnly"):
        rows = [r for r in rows if r["isActive"]]
    return {"pricing": rows}


async def stripe_customer(call: Call) -> dict:
    return {"stripeCusId": call.data.users[call.scope(call.query("userId"))].get("stripeCusId", "")}


async def list_payment_methods(call: Call) -> dict:
    call.scope(call.query("userId"))
    methods = call.data.payment_methods
    return {
        "stripePaymentMethodIds": [m["stripePaymentMethodId"] for m in methods],
        "paymentMethods": methods,
    }


async def attach_payment_method(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    pm_id = _required(payload, "stripePaymentMethodId")
    if any(m["stripePaymentMethodId"] == pm_id for m in call.data.payment_methods):
        raise ApiError(409, f"payment method {pm_id} already attached")
    call.data.payment_methods.append(
        {
            "stripePaymentMethodId": pm_id,
            "type": "card",
            "brand": "visa",
            "last4": f"{int.from_bytes(pm_id.encode()) % 10000:04d}",
            "expMonth": 12,
            "expYear": _now().year + 3,
            "isDefault": not call.data.payment_methods,
        }
    )
    return EMPTY


async def detach_payment_method(call: Call) -> dict:
    call.scope(call.query("userId"))
    pm_id = call.query("stripePaymentMethodId")
    if pm_id is None:
        raise ApiError(400, "stripePaymentMethodId: value is required")
    method = _find(call.data.payment_methods, "stripePaymentMethodId", pm_id, "payment method")
    call.data.payment_methods.remove(method)
    return EMPTY


def _amount(payload: dict) -> Decimal:
    if payload.get("amount") is None:
        raise ApiError(400, "amount: value is required")
    try:
        amount = money_value(payload["amount"])
    except (ValueError, ArithmeticError) as exc:
        raise ApiError(400, "amount must be a Money object or a number") from exc
    if amount <= 0:
        raise ApiError(400, "amount must be positive")
    return amount


async def create_payment_intent(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    amount = _amount(payload)
    intent_id = f"pi_3P{secrets.token_hex(8)}"
    call.store.payment_intents[intent_id] = amount
    return {"stripePaymentIntentId": intent_id, "clientSecret": f"{intent_id}_secret_{secrets.token_hex(6)}"}


async def confirm_payment_intent(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    intent_id = _required(payload, "stripePaymentIntentId")
    amount = call.store.payment_intents.pop(intent_id, None)
    if amount is None:
        raise ApiError(404, f"payment intent {intent_id} not found")
    default = next((m for m in call.data.payment_methods if m["isDefault"]), None)
    extra = {"stripePaymentIntentId": intent_id}
    if default:
        extra["paymentMethodId"] = default["stripePaymentMethodId"]
    entry = call.store.add_ledger_entry(
        call.user_id, amount, "TRANSACTION_TYPE_TOPUP", "Credit top-up", **extra
    )
    call.store.record_activity(
        call.user_id, "billing.topup", "transaction", entry["transactionId"], "Topped up credit"
    )
    return EMPTY


async def create_setup_intent(call: Call) -> dict:
    call.scope((await call.body()).get("userId"))
    intent_id = f"seti_1O{secrets.token_hex(8)}"
    return {"stripeSetupIntentId": intent_id, "clientSecret": f"{intent_id}_secret_{secrets.token_hex(6)}"}


# ---------------------------------------------------------------- support, products, activities (§4.5)


def _paged(call: Call, items: list[dict], default_size: int) -> tuple[list[dict], int, int]:
    page = call.integer("page", 1, high=1_000_000)
    size = call.integer("size", default_size, high=200)
    return items[(page - 1) * size : page * size], page, size


async def list_tickets(call: Call) -> dict:
    call.scope(call.query("userId"))
    tickets = [t for t in call.data.tickets if t["requesterUserId"] == call.user_id]
    if status := call.query("status"):
        wanted = _enum(status, "TICKET_STATUS_", TICKET_STATUSES)
        tickets = [t for t in tickets if t["status"] == wanted]
    page_items, page, size = _paged(call, tickets, 20)
    return {"tickets": page_items, "page": page, "size": size, "total": str(len(tickets))}


def _message(call: Call, content: str) -> dict:
    return {
        "userId": call.user_id,
        "userName": call.user.get("displayName", ""),
        "userRole": call.user.get("userRole", ""),
        "content": content,
        "createdAt": rfc3339(_now()),
    }


async def create_ticket(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    subject, message = _required(payload, "subject"), _required(payload, "message")
    now = rfc3339(_now())
    number = 7000 + len(call.data.tickets)
    while any(t["ticketId"] == f"tkt_{number}" for t in call.data.tickets):
        number += 1
    ticket = {
        "ticketId": f"tkt_{number}",
        "subject": subject,
        "requesterUserId": call.user_id,
        "status": TICKET_OPEN,
        "type": _enum(payload.get("type") or "TECHNICAL", "TICKET_TYPE_"),
        "conversations": [_message(call, message)],
        "createdAt": now,
        "updatedAt": now,
    }
    call.data.tickets.insert(0, ticket)
    call.store.record_activity(
        call.user_id, "ticket.created", "ticket", ticket["ticketId"], f"Opened ticket: {subject}"
    )
    return {"ticket": ticket}


def _own_ticket(call: Call) -> dict:
    ticket = _find(call.data.tickets, "ticketId", call.path("ticketId"), "ticket")
    if ticket["requesterUserId"] != call.user_id and not call.is_admin:
        raise ApiError(404, f"ticket {ticket['ticketId']} not found")
    return ticket


async def get_ticket(call: Call) -> dict:
    return {"ticket": _own_ticket(call)}


async def close_ticket(call: Call) -> dict:
    call.scope(call.query("userId"))
    ticket = _own_ticket(call)
    ticket["status"] = TICKET_CLOSED
    ticket["updatedAt"] = rfc3339(_now())
    return {"ticket": ticket}


async def add_ticket_message(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    message = payload.get("message")
    content = message.get("content") if isinstance(message, dict) else message  # the SDK wraps strings
    if not isinstance(content, str) or not content:
        raise ApiError(400, "message.content: value is required")
    ticket = _own_ticket(call)
    ticket["conversations"].append(_message(call, content))
    ticket["updatedAt"] = rfc3339(_now())
    if ticket["status"] == TICKET_CLOSED:
        ticket["status"] = TICKET_OPEN  # a reply reopens, as help desks do
    call.data.tickets.remove(ticket)
    call.data.tickets.insert(0, ticket)
    return {"ticket": ticket}


async def reserved_deployment(call: Call) -> dict:
    payload = await call.body()
    request_id = f"rdr_{_now():%Y%m%d}_{len(call.data.reserved_requests) + 1:04d}"
    call.data.reserved_requests.append({"requestId": request_id, **payload})
    return {"requestId": request_id}


async def list_products(call: Call) -> dict:
    return {"products": call.data.products}


async def delete_product(call: Call) -> dict:
    product = _find(call.data.products, "id", call.path("productId"), "product")
    call.data.products.remove(product)
    return {"deleted": True}


async def list_activities(call: Call) -> dict:
    call.scope(call.query("userId"))
    items = call.data.activities
    for name in ("action", "resourceType", "resourceId"):
        if value := call.query(name):
            items = [a for a in items if a[name] == value]
    if call.query("startTime") or call.query("endTime"):
        start, end = call.time_range(timedelta(days=36500))
        items = [a for a in items if start <= _parse_time(a["occurredAt"]) <= end]
    page_items, page, size = _paged(call, items, 20)
    return {"activities": page_items, "total": len(items), "page": page, "size": size}


async def get_activity(call: Call) -> dict:
    return {"activity": _find(call.data.activities, "activityId", call.path("activityId"), "activity")}


def _step(call: Call) -> float:
    value = call.query("stepSeconds")
    if value is None:
        return 60.0
    try:
        step = float(value.removesuffix("s"))
    except ValueError as exc:
        raise ApiError(400, f"invalid stepSeconds {value!r}") from exc
    if step <= 0:
        raise ApiError(400, "stepSeconds must be positive")
    return step


async def user_metrics(call: Call) -> dict:
    call.scope(call.query("userId"))
    start, end = call.time_range(timedelta(hours=1))
    return {"metrics": metric_series(USER_METRICS, call.user_id, start, end, _step(call))}


def _deployment(call: Call, key: str = "deploymentId") -> dict:
    wanted = call.path(key)
    model = next((m for m in call.data.models if wanted in (m["deploymentId"], m["modelId"])), None)
    if model is None:
        raise ApiError(404, f"deployment {wanted} not found")
    return model


async def deployment_metrics(call: Call) -> dict:
    call.scope(call.query("userId"))
    model = _deployment(call)
    start, end = call.time_range(timedelta(hours=1))
    if model["status"] != MODEL_UP:
        return {"metrics": [{"name": name, "data": []} for name in DEPLOYMENT_METRICS]}
    return {"metrics": metric_series(DEPLOYMENT_METRICS, model["deploymentId"], start, end, _step(call))}


async def deployment_logs(call: Call) -> dict:
    call.scope(call.query("userId"))
    logs = call.data.deployment_logs.get(_deployment(call)["deploymentId"], [])
    if call.query("startTime") or call.query("endTime"):
        start, end = call.time_range(timedelta(days=36500))
        logs = [entry for entry in logs if start <= _parse_time(entry["timestamp"]) <= end]
    limit = call.integer("limit", 100, high=5000)
    direction = _enum(call.query("direction") or "UNSPECIFIED", "LOG_DIRECTION_")
    if direction == "LOG_DIRECTION_BACKWARD":
        return {"logs": list(reversed(logs))[:limit]}
    if direction == "LOG_DIRECTION_FORWARD":
        return {"logs": logs[:limit]}
    return {"logs": logs[-limit:]}  # unspecified: the most recent lines, oldest first


# ---------------------------------------------------------------- models / deployments (§4.6)


async def list_models(call: Call) -> dict:
    call.scope(call.query("userId"))
    return {"models": [m for m in call.data.models if m["userId"] == call.user_id]}


async def get_model(call: Call) -> dict:
    call.scope(call.query("userId"))
    return {"model": _deployment(call, "modelId")}


_MODEL_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")


async def deploy_model(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    name = _required(payload, "modelName")
    if not _MODEL_NAME.fullmatch(name):
        raise ApiError(400, "modelName must be 2-63 lower-case letters, digits or dashes")
    if any(m["modelName"] == name and m["status"] != MODEL_DELETED for m in call.data.models):
        raise ApiError(409, f"a deployment named {name} already exists")
    infra = payload.get("infra") or {"cloudProvider": "CLOUD_PROVIDER_NEBIUS", "nebiusRegion": "eu-north1"}
    if not isinstance(infra, dict) or infra.get("cloudProvider") not in PROVIDER_ENDPOINTS:
        raise ApiError(400, "infra.cloudProvider must be one of " + ", ".join(PROVIDER_ENDPOINTS))
    key, now = secrets.token_hex(5).upper(), rfc3339(_now())
    record = {
        "modelId": f"mdl_{key}",
        "deploymentId": f"dep_{key}",
        "userId": call.user_id,
        "description": str(payload.get("description") or ""),
        "modelPath": str(payload.get("modelPath") or ""),
        "modelName": name,
        "status": MODEL_PENDING,
        "events": [
            {"createdAt": now, "log": "Deployment requested", "eventType": "MODEL_EVENT_TYPE_CREATED"}
        ],
        "createdAt": now,
        "updatedAt": now,
        "modelSpec": payload.get("modelSpec") or {},
        "infra": infra,
        "gpuCount": int(payload.get("gpuCount") or 1),
        "gpuType": str(payload.get("gpuType") or "GPU_TYPE_H100"),
        "replicas": 0,
        "endpoint": PROVIDER_ENDPOINTS[infra["cloudProvider"]],
        "apiKey": str(payload.get("apiKey") or f"sk-dep-{secrets.token_hex(8)}"),
    }
    call.data.models.insert(0, record)
    call.data.deployment_logs[record["deploymentId"]] = []
    call.store.record_activity(call.user_id, "model.deployed", "model", record["modelId"], f"Deployed {name}")
    return {"model": record}


def _delete_model(call: Call, model: dict) -> dict:
    if model["status"] == MODEL_DELETED:
        raise ApiError(404, f"model {model['modelId']} not found")
    now = rfc3339(_now())
    model.update(status=MODEL_DELETED, replicas=0, updatedAt=now)
    model["events"].append(
        {"createdAt": now, "log": "Deployment deleted by user", "eventType": "MODEL_EVENT_TYPE_DELETED"}
    )
    call.store.record_activity(
        call.user_id, "model.deleted", "model", model["modelId"], f"Deleted {model['modelName']}"
    )
    return EMPTY


async def delete_model(call: Call) -> dict:
    call.scope(call.query("userId"))
    return _delete_model(call, _deployment(call, "modelId"))


async def check_model(call: Call) -> dict:
    model_id = _required(await call.body(), "modelId")
    # Size from the "8B"/"70B" in the name: bf16 weights plus ~10 % runtime overhead.
    match = re.search(r"(\d+(?:\.\d+)?)[bB](?![a-zA-Z])", model_id)
    params_b = float(match.group(1)) if match else 7.0
    weights = round(params_b * 2 * 1.1, 1)
    return {"requiredGpuMemoryGib": weights, "requiredLmCacheMemoryGib": round(max(4.0, weights / 4), 1)}


async def validate_model_name(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    name = _required(payload, "modelName")
    taken = any(m["modelName"] == name and m["status"] != MODEL_DELETED for m in call.data.models)
    return {"isValid": bool(_MODEL_NAME.fullmatch(name)) and not taken}


async def search_by_infra(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    infra = _required(payload, "infra", dict)
    wanted = {k: v for k, v in infra.items() if v not in (None, "")}
    return {"models": [m for m in call.data.models if all(m["infra"].get(k) == v for k, v in wanted.items())]}


async def model_chat(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    text = _required(payload, "body")
    model = _deployment(call, "modelId")
    if model["status"] != MODEL_UP:
        raise ApiError(400, f"model {model['modelName']} is not up ({model['status']})")
    return {
        "response": f"[{model['modelName']}] I am {model['modelPath']} served by the Tensormesh emulator. "
        f"You said: {text[:200]}"
    }


# ---------------------------------------------------------------- admin (§4.7)


async def admin_users(call: Call) -> dict:
    call.require_admin()
    users = list(call.data.users.values())
    page_items, page, size = _paged(call, users, 50)
    return {"users": page_items, "page": page, "size": size, "total": len(users)}


async def admin_change_role(call: Call) -> dict:
    call.require_admin()
    payload = await call.body()
    target = _required(payload, "targetUserId")
    role = _enum(_required(payload, "targetUserRole"), "USER_ROLE_", USER_ROLES)
    if target not in call.data.users:
        raise ApiError(404, f"user {target} not found")
    call.store.set_user_role(target, role)
    return {"user": call.data.users[target]}


def _targets(call: Call, payload: dict) -> list[str]:
    ids = payload.get("targetUserIds") or list(call.data.users)
    if not isinstance(ids, list):
        raise ApiError(400, "targetUserIds must be a list")
    if unknown := [i for i in ids if i not in call.data.users]:
        raise ApiError(404, f"user {unknown[0]} not found")
    return ids


async def admin_balances(call: Call) -> dict:
    call.require_admin()
    ids = _targets(call, await call.body())
    return {"balances": [{"userId": i, "balance": money(call.data.balances.get(i, Decimal(0)))} for i in ids]}


async def admin_add_balance(call: Call) -> dict:
    call.require_admin()
    payload = await call.body()
    target = _required(payload, "targetUserId")
    if target not in call.data.users:
        raise ApiError(404, f"user {target} not found")
    call.store.add_ledger_entry(
        target, _amount(payload), "TRANSACTION_TYPE_CREDIT", "Credit added by an administrator"
    )
    return {"balance": money(call.data.balances[target])}


async def admin_spending_summary(call: Call) -> dict:
    call.require_admin()
    ids = _targets(call, await call.body())
    zero = {f"spend{p}": money(0) for p in ("24h", "7d", "30d")}
    return {
        "summaries": [
            {"userId": i, **(_summary(call.data) if i == call.store.state.user_id else zero)} for i in ids
        ]
    }


async def admin_list_serverless_pricing(call: Call) -> dict:
    call.require_admin()
    return await serverless_pricing(call)


async def admin_upsert_serverless_pricing(call: Call) -> dict:
    call.require_admin()
    pricing = _required(await call.body(), "pricing", dict)
    model = _required(pricing, "model")
    rows = call.data.serverless_pricing
    existing = next((r for r in rows if r["id"] == pricing.get("id") or r["model"] == model), None)
    if existing is None:
        if call.request.method == "PUT":
            raise ApiError(404, f"pricing for {model} not found")
        existing = {"id": f"spr_{len(rows) + 1:02d}", "name": model, "model": model, "isActive": True}
        rows.append(existing)
    for name in ("inputTokenPrice", "outputTokenPrice", "cachedTokenPrice"):
        if name in pricing:
            existing[name] = money(money_value(pricing[name]))
    for name in ("name", "isActive"):
        if name in pricing:
            existing[name] = pricing[name]
    return {"pricing": existing}


async def admin_delete_serverless_pricing(call: Call) -> dict:
    call.require_admin()
    pricing_id = call.query("id")
    if pricing_id is None:
        raise ApiError(400, "id: value is required")
    call.data.serverless_pricing.remove(_find(call.data.serverless_pricing, "id", pricing_id, "pricing"))
    return EMPTY


async def admin_upsert_gpu_pricing(call: Call) -> dict:
    call.require_admin()
    pricing = _required(await call.body(), "pricing", dict)
    gpu = _enum(_required(pricing, "gpuType"), "GPU_TYPE_")
    provider = _enum(_required(pricing, "cloudProvider"), "CLOUD_PROVIDER_")
    rows = call.data.gpu_pricing
    existing = next((r for r in rows if r["gpuType"] == gpu and r["cloudProvider"] == provider), None)
    if existing is None:
        existing = {"gpuType": gpu, "cloudProvider": provider, "hourlyRate": money(0), "isActive": True}
        rows.append(existing)
    if "hourlyRate" in pricing:
        existing["hourlyRate"] = money(money_value(pricing["hourlyRate"]))
    if "isActive" in pricing:
        existing["isActive"] = bool(pricing["isActive"])
    return {"pricing": existing}


async def admin_delete_gpu_pricing(call: Call) -> dict:
    call.require_admin()
    gpu, provider = call.path("gpuType"), call.path("cloudProvider")
    row = next(
        (r for r in call.data.gpu_pricing if (r["gpuType"], r["cloudProvider"]) == (gpu, provider)), None
    )
    if row is None:
        raise ApiError(404, f"GPU pricing {gpu}/{provider} not found")
    call.data.gpu_pricing.remove(row)
    return EMPTY


async def admin_list_products(call: Call) -> dict:
    call.require_admin()
    return {"products": call.data.products}


async def admin_upsert_product(call: Call) -> dict:
    call.require_admin()
    product = _required(await call.body(), "product", dict)
    product_id = product.get("id") or f"prod_{secrets.token_hex(4)}"
    existing = next((p for p in call.data.products if p["id"] == product_id), None)
    if existing is None:
        existing = {"id": product_id}
        call.data.products.append(existing)
    existing.update({k: v for k, v in product.items() if k != "id"})
    return {"product": existing}


async def admin_list_models(call: Call) -> dict:
    call.require_admin()
    page_items, page, size = _paged(call, call.data.models, 20)
    return {"models": page_items, "page": page, "size": size, "total": len(call.data.models)}


async def admin_delete_model(call: Call) -> dict:
    call.require_admin()
    return _delete_model(call, _deployment(call, "modelId"))


# ---------------------------------------------------------------- CLI login (§7.3), no bearer


async def _json_object(request: Request) -> dict:
    try:
        payload = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise ApiError(400, "request body is not valid JSON") from exc
    if not isinstance(payload, dict):
        raise ApiError(400, "request body must be a JSON object")
    return payload


async def cli_start(request: Request, store: ControlPlaneStore) -> Response:
    session = store.login.start()
    auth_url = f"{str(request.base_url).rstrip('/')}/cli-login?code={session.user_code}"
    return JSONResponse({"auth_url": auth_url, "cli_code": session.cli_code, "interval": POLL_INTERVAL_S})


_EXCHANGE_ERRORS = {
    Outcome.DENIED: (403, "login was denied"),
    Outcome.EXPIRED: (410, "login code expired; start again"),
    Outcome.UNKNOWN: (404, "unknown login code"),
}


async def cli_exchange(request: Request, store: ControlPlaneStore) -> Response:
    code = (await _json_object(request)).get("cli_code")
    if not isinstance(code, str) or not code:
        raise ApiError(400, "cli_code: value is required")
    outcome, tokens = store.login.exchange(code)
    if tokens is not None:
        return JSONResponse(tokens.body())
    if outcome is Outcome.PENDING:
        return JSONResponse({"status": "pending"}, status_code=202)
    status, message = _EXCHANGE_ERRORS[outcome]
    raise ApiError(status, message)


async def cli_refresh(request: Request, store: ControlPlaneStore) -> Response:
    token = (await _json_object(request)).get("refresh_token")
    if not isinstance(token, str) or not token:
        raise ApiError(400, "refresh_token: value is required")
    tokens = store.login.refresh(token)
    if tokens is None:
        raise ApiError(401, "invalid or expired refresh token")
    return JSONResponse(tokens.body())


_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


async def login_page(request: Request, store: ControlPlaneStore) -> Response:
    session = store.login.by_user_code(request.query_params.get("code", ""))
    if session is None:
        page = render_result_page(
            "Link expired", "This sign-in link is unknown or has expired. Run the login again."
        )
        return HTMLResponse(page, status_code=404, headers=_PAGE_HEADERS)
    email = store.data.users[store.state.user_id].get("userEmail", "")
    return HTMLResponse(render_approval_page(session.user_code, email), headers=_PAGE_HEADERS)


async def login_decision(request: Request, store: ControlPlaneStore) -> Response:
    # A plain urlencoded form; parsed by hand so the emulator needs no multipart library.
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    session = store.login.by_user_code(form.get("code", ""))
    decision = form.get("decision")
    if session is None or decision not in ("approve", "deny"):
        page = render_result_page("Link expired", "This sign-in link is unknown, already used or expired.")
        return HTMLResponse(page, status_code=404 if session is None else 400, headers=_PAGE_HEADERS)
    if decision == "approve" and store.approve(session.cli_code):
        page = render_result_page("Signed in", "You can close this tab and return to your terminal.")
    elif decision == "deny" and store.deny(session.cli_code):
        page = render_result_page("Sign-in denied", "The command-line tool will not be signed in.")
    else:
        page = render_result_page("Already decided", "This sign-in request was already answered.")
        return HTMLResponse(page, status_code=409, headers=_PAGE_HEADERS)
    return HTMLResponse(page, headers=_PAGE_HEADERS)


# ---------------------------------------------------------------- wiring

Handler = Callable[[Call], Awaitable[dict]]
PublicHandler = Callable[[Request, ControlPlaneStore], Awaitable[Response]]

# (method, path, handler). Literal routes come before the `{id}` routes they would otherwise match.
ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/auth/profile", get_profile),
    ("POST", "/v1/users/accept-tos", accept_tos),
    ("GET", "/v1/users/api-keys", list_api_keys),
    ("POST", "/v1/users/api-keys", create_api_key),
    ("DELETE", "/v1/users/api-keys", delete_api_key),
    ("PUT", "/v1/users/{userId}", update_user),
    ("GET", "/v1/billing/balance", get_balance),
    ("GET", "/v1/billing/address", get_address),
    ("PUT", "/v1/billing/address", update_address),
    ("GET", "/v1/billing/transactions", list_transactions),
    ("GET", "/v1/billing/spending/summary", spending_summary),
    ("GET", "/v1/billing/spending/history", spending_history),
    ("GET", "/v1/billing/serverless-usage/history", usage_history),
    ("GET", "/v1/billing/serverless-pricing", serverless_pricing),
    ("GET", "/v1/billing/gpu-pricing", gpu_pricing),
    ("GET", "/v1/billing/stripe/customers", stripe_customer),
    ("GET", "/v1/billing/stripe/customers/payment-methods", list_payment_methods),
    ("POST", "/v1/billing/stripe/customers/payment-methods", attach_payment_method),
    ("DELETE", "/v1/billing/stripe/customers/payment-methods", detach_payment_method),
    ("POST", "/v1/billing/stripe/payment-intents", create_payment_intent),
    ("POST", "/v1/billing/stripe/payment-intents/confirm", confirm_payment_intent),
    ("POST", "/v1/billing/stripe/setup-intents", create_setup_intent),
    ("GET", "/v1/support/tickets", list_tickets),
    ("POST", "/v1/support/tickets", create_ticket),
    ("POST", "/v1/support/reserved-deployments", reserved_deployment),
    ("GET", "/v1/support/tickets/{ticketId}", get_ticket),
    ("DELETE", "/v1/support/tickets/{ticketId}", close_ticket),
    ("POST", "/v1/support/tickets/{ticketId}/messages", add_ticket_message),
    ("GET", "/v1/products", list_products),
    ("DELETE", "/v1/products/{productId}", delete_product),
    ("GET", "/v1/activities", list_activities),
    ("GET", "/v1/activities/{activityId}", get_activity),
    ("GET", "/v1/observability/users/metrics", user_metrics),
    ("GET", "/v1/observability/deployments/{deploymentId}/metrics", deployment_metrics),
    ("GET", "/v1/observability/deployments/{deploymentId}/logs", deployment_logs),
    ("GET", "/v1/models", list_models),
    ("POST", "/v1/models", deploy_model),
    ("POST", "/v1/models/check", check_model),
    ("POST", "/v1/models:validate", validate_model_name),
    ("POST", "/v1/models:search-by-infra", search_by_infra),
    ("POST", "/v1/models/{modelId}:chat", model_chat),
    ("GET", "/v1/models/{modelId}", get_model),
    ("DELETE", "/v1/models/{modelId}", delete_model),
    ("GET", "/v1/admin/users", admin_users),
    ("POST", "/v1/admin/users/change_role", admin_change_role),
    ("POST", "/v1/admin/billing/balances", admin_balances),
    ("POST", "/v1/admin/billing/balances:add", admin_add_balance),
    ("POST", "/v1/admin/billing/spending/summary", admin_spending_summary),
    ("GET", "/v1/admin/billing/serverless-pricing", admin_list_serverless_pricing),
    ("POST", "/v1/admin/billing/serverless-pricing", admin_upsert_serverless_pricing),
    ("PUT", "/v1/admin/billing/serverless-pricing", admin_upsert_serverless_pricing),
    ("DELETE", "/v1/admin/billing/serverless-pricing", admin_delete_serverless_pricing),
    ("POST", "/v1/admin/billing/gpu-pricing", admin_upsert_gpu_pricing),
    ("PUT", "/v1/admin/billing/gpu-pricing", admin_upsert_gpu_pricing),
    ("DELETE", "/v1/admin/billing/gpu-pricing/{gpuType}/{cloudProvider}", admin_delete_gpu_pricing),
    ("GET", "/v1/admin/products", admin_list_products),
    ("POST", "/v1/admin/products", admin_upsert_product),
    ("GET", "/v1/admin/models", admin_list_models),
    ("DELETE", "/v1/admin/models/{modelId}", admin_delete_model),
)
PUBLIC_ROUTES: tuple[tuple[str, str, PublicHandler], ...] = (
    ("POST", "/auth/cli/start", cli_start),
    ("POST", "/auth/cli/exchange", cli_exchange),
    ("POST", "/auth/cli/refresh", cli_refresh),
    ("GET", "/cli-login", login_page),
    ("POST", "/cli-login", login_decision),
)


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _authenticated(store: ControlPlaneStore, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            token = _bearer(request)
            if token is None:
                raise ApiError(401, "missing bearer token")
            user_id = store.login.user_for_token(token)
            if user_id is None:
                raise ApiError(401, "invalid or expired token")
            return JSONResponse(await handler(Call(request, store, user_id)))
        except ApiError as exc:
            return error_response(exc.status, exc.message)

    return endpoint


def _public(store: ControlPlaneStore, handler: PublicHandler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, store)
        except ApiError as exc:
            return error_response(exc.status, exc.message)

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = "method not allowed" if exc.status_code == 405 else f"no route for {request.url.path}"
    return error_response(exc.status_code, message, headers=exc.headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    return error_response(500, "internal error")


def build_control_plane_app(store: ControlPlaneStore) -> Starlette:
    """The control-plane ASGI app. Faults armed in `state.faults` apply under `control_plane`."""
    routes = [
        Route(path, _public(store, handler), methods=[method]) for method, path, handler in PUBLIC_ROUTES
    ]
    routes += [
        Route(path, _authenticated(store, handler), methods=[method]) for method, path, handler in ROUTES
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(FaultMiddleware, registry=store.state.faults, surface="control_plane"),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _internal_error},
    )
