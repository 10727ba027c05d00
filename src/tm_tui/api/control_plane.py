"""Client for the Tensormesh control plane (users, keys, billing, support, deployments; §4.3–4.6).

Every call carries the control-plane bearer token. On a 401 the optional `on_unauthorized`
hook may supply a fresh token (e.g. via `/auth/cli/refresh`); the call is then retried once.
The optional `userId` scope parameters are admin features and are not exposed yet.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from tm_tui.api.errors import AuthError
from tm_tui.api.models.control_plane import (
    ActivitiesPage,
    Activity,
    ApiKey,
    BillingAddress,
    BillingTransaction,
    Deployment,
    DeployModelRequest,
    GpuPricing,
    InfraConfig,
    IntentSecret,
    LogEntry,
    Metric,
    ModelCheck,
    NumberedPage,
    PaymentMethods,
    Product,
    ReservedDeploymentRequest,
    ServerlessPricing,
    SpendingBucket,
    SpendingSummary,
    Ticket,
    TicketsPage,
    TransactionsPage,
    UsageRow,
    User,
    UserUpdate,
)
from tm_tui.api.models.money import Money
from tm_tui.api.transport import DEFAULT_TIMEOUT_S, Reply, Sleep, Transport, protocol_error, quote_path

TokenRefresher = Callable[[], Awaitable[str | None]]
Timestamp = datetime | str | None

_LOG_DIRECTIONS = {"asc": "LOG_DIRECTION_FORWARD", "desc": "LOG_DIRECTION_BACKWARD"}


def rfc3339(value: Timestamp) -> str | None:
    """RFC 3339 text for a query; naive datetimes are taken as UTC, strings pass through."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def usage_bucket(value: str | None) -> str | None:
    """`day`/`week`/`month` → `USAGE_BUCKET_DAY`/…; full enum names pass through."""
    if value is None:
        return None
    name = value.strip().upper()
    return name if name.startswith("USAGE_BUCKET_") else f"USAGE_BUCKET_{name}"


def _text_field(reply: Reply, key: str) -> str | None:
    """An optional string field of a reply object (absent, null or non-string → None)."""
    value = reply.data.get(key) if isinstance(reply.data, dict) else None
    return value if isinstance(value, str) else None


def _camel(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def iter_numbered[T](
    fetch: Callable[[int], Awaitable[tuple[NumberedPage, list[T]]]], size: int
) -> AsyncIterator[T]:
    """Follow 1-based numbered pages (§4.2): stop on an empty page, at `total`, or on a short page."""
    number = 1
    while True:
        meta, items = await fetch(number)
        if not items:
            return
        for item in items:
            yield item
        if meta.page is not None and meta.size and meta.total is not None:
            if meta.page * meta.size >= meta.total:
                return
        elif len(items) < (meta.size or size):
            return
        number += 1


class ControlPlaneClient:
    def __init__(self, transport: Transport, *, on_unauthorized: TokenRefresher | None = None) -> None:
        self.transport = transport
        self.on_unauthorized = on_unauthorized
        self._refresh_lock = asyncio.Lock()

    async def _call(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> Reply:
        token_used = self.transport.token
        try:
            return await self.transport.request(method, path, params=params, json=json)
        except AuthError:
            if self.on_unauthorized is None:
                raise
            async with self._refresh_lock:
                # Another call may already have refreshed while this one was in flight.
                if self.transport.token == token_used:
                    fresh = await self.on_unauthorized()
                    if not fresh:
                        raise
                    self.transport.set_token(fresh)
        return await self.transport.request(method, path, params=params, json=json)

    # --- auth profile, users and API keys (§4.3) --------------------------------------------

    async def profile(self) -> User:
        return (await self._call("GET", "/auth/profile")).wrapped("user", User)

    async def accept_tos(self) -> User:
        return (await self._call("POST", "/v1/users/accept-tos", json={})).wrapped("user", User)

    async def update_user(
        self,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        display_name: str | None = None,
        company: str | None = None,
        user_id: str | None = None,
    ) -> None:
        """Update profile fields left not None; `user_id` defaults to the caller's own."""
        user_id = user_id or await self._own_user_id()
        update = UserUpdate(
            first_name=first_name, last_name=last_name, display_name=display_name, company=company
        )
        (await self._call("PUT", f"/v1/users/{quote_path(user_id)}", json=_camel(update))).ack()

    async def _own_user_id(self) -> str:
        user = await self.profile()
        if not user.id:
            raise protocol_error("the profile has no user id", None)
        return user.id

    async def list_api_keys(self, include_deleted: bool = False) -> list[ApiKey]:
        params = {"includeDeleted": True} if include_deleted else None
        return (await self._call("GET", "/v1/users/api-keys", params=params)).wrapped_list("apiKeys", ApiKey)

    async def create_api_key(
        self,
        name: str | None = None,
        scopes: Sequence[str] | None = None,
        expires_at: Timestamp = None,
        *,
        user_id: str | None = None,
    ) -> ApiKey:
        body = {
            "userId": user_id or await self._own_user_id(),
            "name": name,
            "scopes": list(scopes) if scopes is not None else None,
            "expiresAt": rfc3339(expires_at),
        }
        body = {key: value for key, value in body.items() if value is not None}
        return (await self._call("POST", "/v1/users/api-keys", json=body)).wrapped("apiKey", ApiKey)

    async def delete_api_key(self, key: str) -> None:
        # Replies `{}` or `{"empty": …}`; nothing in it matters.
        await self._call("DELETE", "/v1/users/api-keys", params={"apiKey": key})

    # --- billing (§4.4) -----------------------------------------------------------------------

    async def balance(self) -> Money:
        return (await self._call("GET", "/v1/billing/balance")).wrapped("balance", Money)

    async def billing_address(self) -> BillingAddress:
        return (await self._call("GET", "/v1/billing/address")).wrapped("address", BillingAddress)

    async def update_billing_address(self, address: BillingAddress) -> None:
        (await self._call("PUT", "/v1/billing/address", json={"address": _camel(address)})).ack()

    async def transactions(
        self, page_size: int | None = None, page_token: str | None = None
    ) -> TransactionsPage:
        params = {"pageSize": page_size, "pageToken": page_token or None}
        reply = await self._call("GET", "/v1/billing/transactions", params=params)
        reply.field("transactions", list)
        return reply.model(TransactionsPage)

    async def iter_transactions(self, page_size: int = 50) -> AsyncIterator[BillingTransaction]:
        """Every transaction, following `nextPageToken` until it is absent or empty."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            page = await self.transactions(page_size, token)
            for transaction in page.transactions:
                yield transaction
            token = page.next_page_token or None
            if token is None:
                return
            if token in seen:
                raise protocol_error("the transaction pages loop (a page token repeated)", None)
            seen.add(token)

    async def spending_summary(self) -> SpendingSummary:
        return (await self._call("GET", "/v1/billing/spending/summary")).model(SpendingSummary)

    async def spending_history(self) -> list[SpendingBucket]:
        reply = await self._call("GET", "/v1/billing/spending/history")
        return reply.wrapped_list("buckets", SpendingBucket)

    async def serverless_usage_history(
        self, bucket: str | None = None, start: Timestamp = None, end: Timestamp = None
    ) -> list[UsageRow]:
        params = {"bucket": usage_bucket(bucket), "startTime": rfc3339(start), "endTime": rfc3339(end)}
        reply = await self._call("GET", "/v1/billing/serverless-usage/history", params=params)
        return reply.wrapped_list("rows", UsageRow)

    async def serverless_pricing(
        self, model: str | None = None, active_only: bool | None = None
    ) -> list[ServerlessPricing]:
        params = {"model": model, "activeOnly": active_only}
        reply = await self._call("GET", "/v1/billing/serverless-pricing", params=params)
        return reply.wrapped_list("pricing", ServerlessPricing)

    async def gpu_pricing(
        self, cloud_provider: str | None = None, gpu_type: str | None = None, active_only: bool | None = None
    ) -> list[GpuPricing]:
        params = {"cloudProvider": cloud_provider, "gpuType": gpu_type, "activeOnly": active_only}
        reply = await self._call("GET", "/v1/billing/gpu-pricing", params=params)
        return reply.wrapped_list("pricing", GpuPricing)

    async def stripe_customer(self) -> str | None:
        """The Stripe customer id ("get or create")."""
        return _text_field(await self._call("GET", "/v1/billing/stripe/customers"), "stripeCusId")

    async def payment_methods(self) -> PaymentMethods:
        return (await self._call("GET", "/v1/billing/stripe/customers/payment-methods")).model(PaymentMethods)

    async def add_payment_method(self, stripe_payment_method_id: str) -> None:
        body = {"stripePaymentMethodId": stripe_payment_method_id}
        (await self._call("POST", "/v1/billing/stripe/customers/payment-methods", json=body)).ack()

    async def delete_payment_method(self, stripe_payment_method_id: str) -> None:
        params = {"stripePaymentMethodId": stripe_payment_method_id}
        (await self._call("DELETE", "/v1/billing/stripe/customers/payment-methods", params=params)).ack()

    async def create_payment_intent(
        self, amount: Money | Decimal | int | str, stripe_payment_method_id: str | None = None
    ) -> IntentSecret:
        money = amount if isinstance(amount, Money) else Money.of(amount)
        body = {"amount": _camel(money), "stripePaymentMethodId": stripe_payment_method_id}
        body = {key: value for key, value in body.items() if value is not None}
        return (await self._call("POST", "/v1/billing/stripe/payment-intents", json=body)).model(IntentSecret)

    async def confirm_payment_intent(self, stripe_payment_intent_id: str) -> None:
        body = {"stripePaymentIntentId": stripe_payment_intent_id}
        (await self._call("POST", "/v1/billing/stripe/payment-intents/confirm", json=body)).ack()

    async def create_setup_intent(self) -> IntentSecret:
        return (await self._call("POST", "/v1/billing/stripe/setup-intents", json={})).model(IntentSecret)

    # --- support tickets (§4.5) ---------------------------------------------------------------

    async def tickets(
        self, page: int | None = None, size: int | None = None, status: str | None = None
    ) -> TicketsPage:
        params = {"status": status, "page": page, "size": size}
        reply = await self._call("GET", "/v1/support/tickets", params=params)
        reply.field("tickets", list)
        return reply.model(TicketsPage)

    async def iter_tickets(self, size: int = 20, status: str | None = None) -> AsyncIterator[Ticket]:
        async def fetch(number: int) -> tuple[NumberedPage, list[Ticket]]:
            page = await self.tickets(number, size, status)
            return page, page.tickets

        async for ticket in iter_numbered(fetch, size):
            yield ticket

    async def ticket(self, ticket_id: str) -> Ticket:
        return (await self._call("GET", f"/v1/support/tickets/{quote_path(ticket_id)}")).wrapped(
            "ticket", Ticket
        )

    async def create_ticket(self, subject: str, message: str, type: str | None = None) -> Ticket:
        body = {"subject": subject, "message": message, **({"type": type} if type else {})}
        return (await self._call("POST", "/v1/support/tickets", json=body)).wrapped("ticket", Ticket)

    async def reply_ticket(self, ticket_id: str, content: str) -> Ticket:
        path = f"/v1/support/tickets/{quote_path(ticket_id)}/messages"
        return (await self._call("POST", path, json={"message": {"content": content}})).wrapped(
            "ticket", Ticket
        )

    async def close_ticket(self, ticket_id: str) -> Ticket:
        path = f"/v1/support/tickets/{quote_path(ticket_id)}"
        return (await self._call("DELETE", path)).wrapped("ticket", Ticket)

    async def request_reserved_deployment(self, request: ReservedDeploymentRequest) -> str | None:
        """Ask sales for reserved capacity; returns the request id the server assigned, if any."""
        reply = await self._call("POST", "/v1/support/reserved-deployments", json=_camel(request))
        return _text_field(reply, "requestId")

    # --- products and activities (§4.5) -------------------------------------------------------

    async def products(self) -> list[Product]:
        return (await self._call("GET", "/v1/products")).wrapped_list("products", Product)

    async def delete_product(self, product_id: str) -> bool:
        data = (await self._call("DELETE", f"/v1/products/{quote_path(product_id)}")).data
        return bool(data.get("deleted")) if isinstance(data, dict) else False

    async def activities(
        self,
        page: int | None = None,
        size: int | None = None,
        *,
        action: str | None = None,
        resource_type: str | None = None,
        resource_id: str | None = None,
        start_time: Timestamp = None,
        end_time: Timestamp = None,
    ) -> ActivitiesPage:
        params = {
            "action": action,
            "resourceType": resource_type,
            "resourceId": resource_id,
            "startTime": rfc3339(start_time),
            "endTime": rfc3339(end_time),
            "page": page,
            "size": size,
        }
        reply = await self._call("GET", "/v1/activities", params=params)
        reply.field("activities", list)
        return reply.model(ActivitiesPage)

    async def iter_activities(self, size: int = 50, **filters: Any) -> AsyncIterator[Activity]:
        """Every activity matching `filters` (the keyword arguments of `activities`)."""

        async def fetch(number: int) -> tuple[NumberedPage, list[Activity]]:
            page = await self.activities(number, size, **filters)
            return page, page.activities

        async for activity in iter_numbered(fetch, size):
            yield activity

    async def activity(self, activity_id: str) -> Activity:
        reply = await self._call("GET", f"/v1/activities/{quote_path(activity_id)}")
        return reply.wrapped("activity", Activity)

    # --- observability (§4.5) -----------------------------------------------------------------

    @staticmethod
    def _metric_params(
        start_time: Timestamp, end_time: Timestamp, step_seconds: float | None
    ) -> dict[str, Any]:
        return {"startTime": rfc3339(start_time), "endTime": rfc3339(end_time), "stepSeconds": step_seconds}

    async def user_metrics(
        self, start_time: Timestamp = None, end_time: Timestamp = None, step_seconds: float | None = None
    ) -> list[Metric]:
        params = self._metric_params(start_time, end_time, step_seconds)
        reply = await self._call("GET", "/v1/observability/users/metrics", params=params)
        return reply.wrapped_list("metrics", Metric)

    async def deployment_metrics(
        self,
        deployment_id: str,
        start_time: Timestamp = None,
        end_time: Timestamp = None,
        step_seconds: float | None = None,
    ) -> list[Metric]:
        path = f"/v1/observability/deployments/{quote_path(deployment_id)}/metrics"
        reply = await self._call("GET", path, params=self._metric_params(start_time, end_time, step_seconds))
        return reply.wrapped_list("metrics", Metric)

    async def deployment_logs(
        self,
        deployment_id: str,
        start_time: Timestamp = None,
        end_time: Timestamp = None,
        limit: int | None = None,
        direction: str | None = None,
    ) -> list[LogEntry]:
        """Log lines; `direction` is `asc`/`desc` or a `LOG_DIRECTION_*` name."""
        params = {
            "startTime": rfc3339(start_time),
            "endTime": rfc3339(end_time),
            "limit": limit,
            "direction": _LOG_DIRECTIONS.get((direction or "").lower(), direction),
        }
        path = f"/v1/observability/deployments/{quote_path(deployment_id)}/logs"
        return (await self._call("GET", path, params=params)).wrapped_list("logs", LogEntry)

    # --- deployments: the control plane's /v1/models (§4.6) -----------------------------------

    async def deployments(self) -> list[Deployment]:
        return (await self._call("GET", "/v1/models")).wrapped_list("models", Deployment)

    async def deployment(self, model_id: str) -> Deployment:
        return (await self._call("GET", f"/v1/models/{quote_path(model_id)}")).wrapped("model", Deployment)

    async def deploy_model(self, request: DeployModelRequest) -> Deployment:
        return (await self._call("POST", "/v1/models", json=_camel(request))).wrapped("model", Deployment)

    async def delete_deployment(self, model_id: str) -> None:
        # Replies `{}` or `{"empty": …}`; nothing in it matters.
        await self._call("DELETE", f"/v1/models/{quote_path(model_id)}")

    async def check_model(self, model_id: str) -> ModelCheck:
        """GPU and LMCache memory a model path needs."""
        return (await self._call("POST", "/v1/models/check", json={"modelId": model_id})).model(ModelCheck)

    async def validate_model(self, name: str) -> bool:
        data = (await self._call("POST", "/v1/models:validate", json={"modelName": name})).data
        return isinstance(data, dict) and data.get("isValid") is True

    async def search_deployments_by_infra(self, infra: InfraConfig) -> list[Deployment]:
        reply = await self._call("POST", "/v1/models:search-by-infra", json={"infra": _camel(infra)})
        return reply.wrapped_list("models", Deployment)

    async def chat_with_deployment(self, model_id: str, body: str) -> str | None:
        """The control plane's one-shot test chat with a deployment; returns its reply text."""
        reply = await self._call("POST", f"/v1/models/{quote_path(model_id)}:chat", json={"body": body})
        return _text_field(reply, "response")


def make_control_plane_client(
    http_client: httpx.AsyncClient,
    base_url: str,
    token: str | None,
    timeout: float = DEFAULT_TIMEOUT_S,
    *,
    max_retries: int = 0,
    on_unauthorized: TokenRefresher | None = None,
    sleep: Sleep = asyncio.sleep,
) -> ControlPlaneClient:
    """A `ControlPlaneClient` on the app's shared HTTP client."""
    transport = Transport(
        http_client, base_url, token=token, timeout=timeout, max_retries=max_retries, sleep=sleep
    )
    return ControlPlaneClient(transport, on_unauthorized=on_unauthorized)
