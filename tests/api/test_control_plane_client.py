"""ControlPlaneClient against respx routes that answer with the shared example payloads."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.api.helpers import CP, USER_ID, example, sent_json
from tm_tui.api import errors
from tm_tui.api.control_plane import ControlPlaneClient, make_control_plane_client, rfc3339, usage_bucket
from tm_tui.api.models.control_plane import (
    BillingAddress,
    DeployModelRequest,
    InfraConfig,
    ReservedDeploymentRequest,
)
from tm_tui.api.models.money import Money

TOKEN = "cp-token"
EMPTY = "control_plane/empty_result.response.json"


@pytest.fixture
def client(http, sleep) -> ControlPlaneClient:
    return make_control_plane_client(http, CP, TOKEN, max_retries=2, sleep=sleep)


@dataclass
class Case:
    name: str
    call: Callable[[ControlPlaneClient], Awaitable[Any]]
    method: str
    path: str  # raw (still percent-encoded) path
    reply: str | dict | None
    check: Callable[[Any], bool]
    query: dict[str, str] | None = None
    body: Any = None


def cp(name: str) -> str:
    return f"control_plane/{name}.response.json"


CASES = [
    # users and keys
    Case(
        "profile",
        lambda c: c.profile(),
        "GET",
        "/auth/profile",
        cp("auth_profile"),
        lambda r: r.id == USER_ID,
    ),
    Case(
        "accept_tos",
        lambda c: c.accept_tos(),
        "POST",
        "/v1/users/accept-tos",
        cp("users_accept_tos"),
        lambda r: r.tos_accepted_at == "2026-01-01T10:00:00Z",
        body={},
    ),
    Case(
        "update_user",
        lambda c: c.update_user(
            first_name="Ada", display_name="Ada L.", company="Analytical Engines Ltd", user_id="u/1"
        ),
        "PUT",
        "/v1/users/u%2F1",
        EMPTY,
        lambda r: r is None,
        body=example("control_plane/users_update.request.json"),
    ),
    Case(
        "list_api_keys",
        lambda c: c.list_api_keys(include_deleted=True),
        "GET",
        "/v1/users/api-keys",
        cp("users_api_keys_list"),
        lambda r: [k.name for k in r] == ["laptop", "old-ci"] and r[1].deleted_at,
        query={"includeDeleted": "true"},
    ),
    Case(
        "list_api_keys active",
        lambda c: c.list_api_keys(),
        "GET",
        "/v1/users/api-keys",
        cp("users_api_keys_list"),
        lambda r: len(r) == 2,
        query={},
    ),
    Case(
        "create_api_key",
        lambda c: c.create_api_key("tm-tui", ["inference"], datetime(2027, 1, 1), user_id=USER_ID),
        "POST",
        "/v1/users/api-keys",
        cp("users_api_keys_create"),
        lambda r: r.id == "tmk_live_5e6f7a8b9c0d1e2f",
        body=example("control_plane/users_api_keys_create.request.json"),
    ),
    Case(
        "delete_api_key",
        lambda c: c.delete_api_key("tmk/live"),
        "DELETE",
        "/v1/users/api-keys",
        {},
        lambda r: r is None,
        query={"apiKey": "tmk/live"},
    ),
    # billing
    Case(
        "balance",
        lambda c: c.balance(),
        "GET",
        "/v1/billing/balance",
        cp("billing_balance"),
        lambda r: r.amount == Decimal("12.5") and r.currency_code == "USD",
    ),
    Case(
        "billing_address",
        lambda c: c.billing_address(),
        "GET",
        "/v1/billing/address",
        cp("billing_address"),
        lambda r: r.postal_code == "75004",
    ),
    Case(
        "update_billing_address",
        lambda c: c.update_billing_address(
            BillingAddress(line1="12 Rue de Rivoli", city="Paris", postal_code="75004", country="FR")
        ),
        "PUT",
        "/v1/billing/address",
        EMPTY,
        lambda r: r is None,
        body=example("control_plane/billing_address_update.request.json"),
    ),
    Case(
        "transactions",
        lambda c: c.transactions(page_size=2, page_token="abc"),
        "GET",
        "/v1/billing/transactions",
        cp("billing_transactions"),
        lambda r: (
            r.next_page_token == "eyJvZmZzZXQiOjJ9"
            and r.transactions[1].amount.amount == Decimal("3.418")
            and r.transactions[1].details["models"]["MiniMaxAI/MiniMax-M2.5"]["total_amount"] == "3.418"
        ),
        query={"pageSize": "2", "pageToken": "abc"},
    ),
    Case(
        "spending_summary",
        lambda c: c.spending_summary(),
        "GET",
        "/v1/billing/spending/summary",
        cp("billing_spending_summary"),
        lambda r: (
            (r.spend24h.amount, r.spend7d.amount, r.spend30d.amount)
            == (Decimal("0.21"), Decimal("1.37"), Decimal("3.418"))
        ),
    ),
    Case(
        "spending_history",
        lambda c: c.spending_history(),
        "GET",
        "/v1/billing/spending/history",
        cp("billing_spending_history"),
        lambda r: r[1].cost_saving.amount == Decimal("0.045"),
    ),
    Case(
        "serverless_usage_history",
        lambda c: c.serverless_usage_history("day", datetime(2026, 2, 27), "2026-03-01T00:00:00Z"),
        "GET",
        "/v1/billing/serverless-usage/history",
        cp("billing_serverless_usage_history"),
        lambda r: r[1].request_count == 64 and r[1].output_tokens == 17230,
        query={
            "bucket": "USAGE_BUCKET_DAY",
            "startTime": "2026-02-27T00:00:00Z",
            "endTime": "2026-03-01T00:00:00Z",
        },
    ),
    Case(
        "serverless_pricing",
        lambda c: c.serverless_pricing(model="MiniMaxAI/MiniMax-M2.5", active_only=False),
        "GET",
        "/v1/billing/serverless-pricing",
        cp("billing_serverless_pricing"),
        lambda r: r[0].output_token_price.amount == Decimal("1.2") and r[1].cached_token_price is None,
        query={"model": "MiniMaxAI/MiniMax-M2.5", "activeOnly": "false"},
    ),
    Case(
        "gpu_pricing",
        lambda c: c.gpu_pricing(cloud_provider="CLOUD_PROVIDER_NEBIUS", active_only=True),
        "GET",
        "/v1/billing/gpu-pricing",
        cp("billing_gpu_pricing"),
        lambda r: r[0].hourly_rate.amount == Decimal("2.95"),
        query={"cloudProvider": "CLOUD_PROVIDER_NEBIUS", "activeOnly": "true"},
    ),
    Case(
        "stripe_customer",
        lambda c: c.stripe_customer(),
        "GET",
        "/v1/billing/stripe/customers",
        cp("stripe_customer"),
        lambda r: r == "cus_Q1w2E3r4",
    ),
    Case(
        "payment_methods",
        lambda c: c.payment_methods(),
        "GET",
        "/v1/billing/stripe/customers/payment-methods",
        cp("stripe_payment_methods"),
        lambda r: r.payment_methods[0].last4 == "4242" and r.payment_methods[0].exp_year == 2028,
    ),
    Case(
        "add_payment_method",
        lambda c: c.add_payment_method("pm_1"),
        "POST",
        "/v1/billing/stripe/customers/payment-methods",
        EMPTY,
        lambda r: r is None,
        body={"stripePaymentMethodId": "pm_1"},
    ),
    Case(
        "delete_payment_method",
        lambda c: c.delete_payment_method("pm_1"),
        "DELETE",
        "/v1/billing/stripe/customers/payment-methods",
        EMPTY,
        lambda r: r is None,
        query={"stripePaymentMethodId": "pm_1"},
    ),
    Case(
        "create_payment_intent",
        lambda c: c.create_payment_intent(Decimal(20), "pm_1NxAbc"),
        "POST",
        "/v1/billing/stripe/payment-intents",
        cp("stripe_payment_intent_create"),
        lambda r: r.stripe_payment_intent_id == "pi_3Pq1xyz" and "secret" not in repr(r),
        body=example("control_plane/stripe_payment_intent_create.request.json"),
    ),
    Case(
        "confirm_payment_intent",
        lambda c: c.confirm_payment_intent("pi_1"),
        "POST",
        "/v1/billing/stripe/payment-intents/confirm",
        EMPTY,
        lambda r: r is None,
        body={"stripePaymentIntentId": "pi_1"},
    ),
    Case(
        "create_setup_intent",
        lambda c: c.create_setup_intent(),
        "POST",
        "/v1/billing/stripe/setup-intents",
        cp("stripe_setup_intent_create"),
        lambda r: r.stripe_setup_intent_id == "seti_1Oa",
        body={},
    ),
    # support
    Case(
        "tickets",
        lambda c: c.tickets(page=1, size=20, status="TICKET_STATUS_OPEN"),
        "GET",
        "/v1/support/tickets",
        cp("support_tickets_list"),
        lambda r: r.total == 1 and r.tickets[0].conversations[0].user_name == "Ada L.",
        query={"status": "TICKET_STATUS_OPEN", "page": "1", "size": "20"},
    ),
    Case(
        "ticket",
        lambda c: c.ticket("tkt/7731"),
        "GET",
        "/v1/support/tickets/tkt%2F7731",
        cp("support_ticket"),
        lambda r: r.ticket_id == "tkt_7731",
    ),
    Case(
        "create_ticket",
        lambda c: c.create_ticket(
            "Rate limited on MiniMax", "I get HTTP 429 after ~20 requests.", "TICKET_TYPE_TECHNICAL"
        ),
        "POST",
        "/v1/support/tickets",
        cp("support_ticket"),
        lambda r: r.status == "TICKET_STATUS_OPEN",
        body=example("control_plane/support_ticket_create.request.json"),
    ),
    Case(
        "reply_ticket",
        lambda c: c.reply_ticket("tkt_7731", "Attaching request ids: req_abc, req_def."),
        "POST",
        "/v1/support/tickets/tkt_7731/messages",
        cp("support_ticket"),
        lambda r: r.subject == "Rate limited on MiniMax",
        body=example("control_plane/support_ticket_message.request.json"),
    ),
    Case(
        "close_ticket",
        lambda c: c.close_ticket("tkt_7731"),
        "DELETE",
        "/v1/support/tickets/tkt_7731",
        cp("support_ticket"),
        lambda r: r.ticket_id == "tkt_7731",
    ),
    Case(
        "request_reserved_deployment",
        lambda c: c.request_reserved_deployment(
            ReservedDeploymentRequest.model_validate(
                example("control_plane/reserved_deployment.request.json")
            )
        ),
        "POST",
        "/v1/support/reserved-deployments",
        cp("reserved_deployment"),
        lambda r: r == "rdr_20260302_0001",
        body=example("control_plane/reserved_deployment.request.json"),
    ),
    # products and activities
    Case(
        "products",
        lambda c: c.products(),
        "GET",
        "/v1/products",
        cp("products"),
        lambda r: r[0].required_gpu_num == 1 and r[0].spec["memoryGib"] == 80,
    ),
    Case(
        "delete_product",
        lambda c: c.delete_product("prod_h100x1"),
        "DELETE",
        "/v1/products/prod_h100x1",
        cp("product_delete"),
        lambda r: r is True,
    ),
    Case(
        "activities",
        lambda c: c.activities(2, 20, action="api_key.created", resource_type="api_key"),
        "GET",
        "/v1/activities",
        cp("activities_list"),
        lambda r: r.total == 1 and r.activities[0].metadata == {"ip": "203.0.113.7"},
        query={"action": "api_key.created", "resourceType": "api_key", "page": "2", "size": "20"},
    ),
    Case(
        "activity",
        lambda c: c.activity("act_01"),
        "GET",
        "/v1/activities/act_01",
        cp("activity_get"),
        lambda r: r.action == "api_key.created",
    ),
    # observability
    Case(
        "user_metrics",
        lambda c: c.user_metrics("2026-03-01T10:00:00Z", step_seconds=60),
        "GET",
        "/v1/observability/users/metrics",
        cp("observability_metrics"),
        lambda r: r[0].name == "requests_per_second" and r[0].data[1].value == 2.25,
        query={"startTime": "2026-03-01T10:00:00Z", "stepSeconds": "60"},
    ),
    Case(
        "deployment_metrics",
        lambda c: c.deployment_metrics("dep_01J2"),
        "GET",
        "/v1/observability/deployments/dep_01J2/metrics",
        cp("observability_metrics"),
        lambda r: len(r) == 2,
    ),
    Case(
        "deployment_logs",
        lambda c: c.deployment_logs("dep_01J2", limit=200, direction="asc"),
        "GET",
        "/v1/observability/deployments/dep_01J2/logs",
        cp("observability_logs"),
        lambda r: r[1].message == "INFO: Application startup complete.",
        query={"limit": "200", "direction": "LOG_DIRECTION_FORWARD"},
    ),
    # deployments
    Case(
        "deployments",
        lambda c: c.deployments(),
        "GET",
        "/v1/models",
        cp("models_list"),
        lambda r: r[0].status == "MODEL_STATUS_UP" and r[0].events[0].event_type == "MODEL_EVENT_TYPE_READY",
    ),
    Case(
        "deployment",
        lambda c: c.deployment("mdl_01J2"),
        "GET",
        "/v1/models/mdl_01J2",
        cp("models_get"),
        lambda r: r.gpu_count == 1 and r.model_spec == {"maxModelLen": 32768},
    ),
    Case(
        "deploy_model",
        lambda c: c.deploy_model(
            DeployModelRequest.model_validate(example("control_plane/models_deploy.request.json"))
        ),
        "POST",
        "/v1/models",
        cp("models_get"),
        lambda r: r.model_id == "mdl_01J2",
        body=example("control_plane/models_deploy.request.json"),
    ),
    Case(
        "delete_deployment",
        lambda c: c.delete_deployment("mdl_01J2"),
        "DELETE",
        "/v1/models/mdl_01J2",
        EMPTY,
        lambda r: r is None,
    ),
    Case(
        "check_model",
        lambda c: c.check_model("meta-llama/Llama-3.1-8B-Instruct"),
        "POST",
        "/v1/models/check",
        cp("models_check"),
        lambda r: r.required_gpu_memory_gib == 17.5,
        body=example("control_plane/models_check.request.json"),
    ),
    Case(
        "validate_model",
        lambda c: c.validate_model("ada-llama-8b"),
        "POST",
        "/v1/models:validate",
        cp("models_validate"),
        lambda r: r is True,
        body={"modelName": "ada-llama-8b"},
    ),
    Case(
        "search_deployments_by_infra",
        lambda c: c.search_deployments_by_infra(InfraConfig(cloud_provider="CLOUD_PROVIDER_NEBIUS")),
        "POST",
        "/v1/models:search-by-infra",
        cp("models_list"),
        lambda r: r[0].model_name == "ada-llama-8b",
        body={"infra": {"cloudProvider": "CLOUD_PROVIDER_NEBIUS"}},
    ),
    Case(
        "chat_with_deployment",
        lambda c: c.chat_with_deployment("mdl_01J2", "Hello, who are you?"),
        "POST",
        "/v1/models/mdl_01J2:chat",
        cp("models_chat"),
        lambda r: r == "I am a Llama model served by Tensormesh.",
        body=example("control_plane/models_chat.request.json"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
async def test_every_method(router, client, case: Case):
    reply = example(case.reply) if isinstance(case.reply, str) else case.reply
    route = router.route(method=case.method, host="cp.test").respond(200, json=reply)
    result = await case.call(client)

    sent = route.calls.last.request
    assert sent.url.raw_path.split(b"?")[0].decode() == case.path
    if case.query is not None:
        assert dict(sent.url.params) == case.query
    assert sent_json(sent) == case.body
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert ("content-type" in sent.headers) == (case.body is not None)
    assert case.check(result)


def test_every_public_method_has_a_case():
    public = {name for name in vars(ControlPlaneClient) if not name.startswith("_")} - {
        "iter_transactions",
        "iter_tickets",
        "iter_activities",
    }
    assert public <= {case.name.split()[0] for case in CASES}


def test_query_helpers():
    assert rfc3339(datetime(2026, 3, 1, 12, 30)) == "2026-03-01T12:30:00Z"
    assert (
        usage_bucket("week") == "USAGE_BUCKET_WEEK"
        and usage_bucket("USAGE_BUCKET_MONTH") == "USAGE_BUCKET_MONTH"
    )


async def test_own_user_id_is_fetched_when_not_given(router, client):
    profile = router.get(f"{CP}/auth/profile").respond(200, json=example(cp("auth_profile")))
    create = router.post(f"{CP}/v1/users/api-keys").respond(200, json=example(cp("users_api_keys_create")))
    update = router.put(f"{CP}/v1/users/{USER_ID}").respond(200, json=example(EMPTY))
    await client.create_api_key("tm-tui")
    assert sent_json(create.calls.last.request) == {"userId": USER_ID, "name": "tm-tui"}
    await client.update_user(last_name="Byron")
    assert sent_json(update.calls.last.request) == {"lastName": "Byron"}
    assert profile.call_count == 2


async def test_payment_intent_amount_is_exact_money(router, client):
    route = router.post(f"{CP}/v1/billing/stripe/payment-intents").respond(200, json={})
    await client.create_payment_intent(Money.of("-0.5", "EUR"))
    assert sent_json(route.calls.last.request) == {
        "amount": {"currencyCode": "EUR", "units": "0", "nanos": -500000000}
    }


# --- wrappers and acknowledgements --------------------------------------------------------------


@pytest.mark.parametrize("reply", [{}, {"pricing": None}, {"pricing": {}}, [], {"prices": []}])
async def test_missing_list_wrapper_is_a_protocol_error(router, client, reply):
    router.get(f"{CP}/v1/billing/serverless-pricing").respond(200, json=reply)
    with pytest.raises(errors.ProtocolError, match="pricing"):
        await client.serverless_pricing()


async def test_empty_list_wrapper_is_fine(router, client):
    router.get(f"{CP}/v1/billing/serverless-pricing").respond(200, json={"pricing": []})
    assert await client.serverless_pricing() == []


@pytest.mark.parametrize(
    ("call", "method", "path", "key"),
    [
        (lambda c: c.balance(), "GET", "/v1/billing/balance", "balance"),
        (lambda c: c.profile(), "GET", "/auth/profile", "user"),
        (lambda c: c.transactions(), "GET", "/v1/billing/transactions", "transactions"),
        (lambda c: c.tickets(), "GET", "/v1/support/tickets", "tickets"),
        (lambda c: c.update_billing_address(BillingAddress()), "PUT", "/v1/billing/address", "empty"),
        (lambda c: c.deployments(), "GET", "/v1/models", "models"),
    ],
)
async def test_wrappers_are_required(router, client, call, method, path, key):
    router.route(method=method, url=CP + path).respond(
        200, json={"unrelated": 1}, headers={"x-request-id": "r3"}
    )
    with pytest.raises(errors.ProtocolError, match=f"missing '{key}'") as caught:
        await call(client)
    assert caught.value.request_id == "r3"


@pytest.mark.parametrize(
    "reply", [httpx.Response(200, json={}), httpx.Response(200, json=example(EMPTY)), httpx.Response(204)]
)
async def test_lenient_deletes_accept_any_acknowledgement(router, client, reply):
    deployment = router.delete(f"{CP}/v1/models/m1").mock(return_value=reply)
    api_key = router.delete(f"{CP}/v1/users/api-keys").mock(return_value=reply)
    assert await client.delete_deployment("m1") is None
    assert await client.delete_api_key("k") is None
    assert (deployment.call_count, api_key.call_count) == (1, 1)  # each delete was sent, once
    assert api_key.calls.last.request.url.params["apiKey"] == "k"


# --- paging -------------------------------------------------------------------------------------


def _transaction(n: int) -> dict:
    return {"transactionId": f"t{n}", "amount": {"currencyCode": "USD", "units": str(n), "nanos": 0}}


async def test_iter_transactions_follows_page_tokens(router, client):
    pages = {
        None: {"transactions": [_transaction(1), _transaction(2)], "nextPageToken": "p2"},
        "p2": {"transactions": [_transaction(3), _transaction(4)], "nextPageToken": "p3"},
        "p3": {"transactions": [_transaction(5)], "nextPageToken": ""},
    }
    route = router.get(f"{CP}/v1/billing/transactions").mock(
        side_effect=lambda request: httpx.Response(200, json=pages[request.url.params.get("pageToken")])
    )
    ids = [t.transaction_id async for t in client.iter_transactions(page_size=2)]
    assert ids == ["t1", "t2", "t3", "t4", "t5"]
    assert [call.request.url.params.get("pageToken") for call in route.calls] == [None, "p2", "p3"]
    assert {call.request.url.params["pageSize"] for call in route.calls} == {"2"}


async def test_iter_transactions_refuses_a_token_loop(router, client):
    router.get(f"{CP}/v1/billing/transactions").respond(
        200, json={"transactions": [_transaction(1)], "nextPageToken": "same"}
    )
    with pytest.raises(errors.ProtocolError, match="repeated"):
        [t async for t in client.iter_transactions()]


def _tickets_page(request: httpx.Request, count: int, *, with_total: bool) -> httpx.Response:
    page, size = int(request.url.params["page"]), int(request.url.params["size"])
    numbers = range((page - 1) * size + 1, min(page * size, count) + 1)
    body: dict[str, Any] = {"tickets": [{"ticketId": f"k{n}"} for n in numbers], "page": page, "size": size}
    if with_total:
        body["total"] = str(count)  # the SDK types TicketsPage.total as a string
    return httpx.Response(200, json=body)


@pytest.mark.parametrize(
    ("count", "with_total", "calls"), [(5, True, 3), (4, True, 2), (4, False, 3), (5, False, 3), (0, True, 1)]
)
async def test_iter_tickets_numbered_paging(router, client, count, with_total, calls):
    route = router.get(f"{CP}/v1/support/tickets").mock(
        side_effect=lambda request: _tickets_page(request, count, with_total=with_total)
    )
    ids = [t.ticket_id async for t in client.iter_tickets(size=2, status="TICKET_STATUS_OPEN")]
    assert ids == [f"k{n}" for n in range(1, count + 1)]
    assert route.call_count == calls
    assert [call.request.url.params["page"] for call in route.calls] == [str(n) for n in range(1, calls + 1)]
    assert {call.request.url.params["status"] for call in route.calls} == {"TICKET_STATUS_OPEN"}


async def test_iter_activities_passes_filters_on_every_page(router, client):
    def page(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        items = [{"activityId": f"a{number}{i}"} for i in range(3 if number < 3 else 1)]
        return httpx.Response(200, json={"activities": items, "page": number, "size": 3, "total": 7})

    route = router.get(f"{CP}/v1/activities").mock(side_effect=page)
    found = [a.activity_id async for a in client.iter_activities(size=3, action="login")]
    assert len(found) == 7 and route.call_count == 3
    assert {call.request.url.params["action"] for call in route.calls} == {"login"}


# --- 401 → token refresh ------------------------------------------------------------------------


def _bearer(request: httpx.Request) -> str:
    return request.headers["Authorization"].removeprefix("Bearer ")


async def test_401_refreshes_once_and_retries_with_the_new_token(router, http):
    route = router.get(f"{CP}/v1/billing/balance").mock(
        side_effect=lambda r: (
            httpx.Response(200, json=example(cp("billing_balance")))
            if _bearer(r) == "fresh"
            else httpx.Response(401, json=example("errors/control_plane_401.response.json"))
        )
    )
    refreshes = []

    async def refresh() -> str:
        refreshes.append(1)
        return "fresh"

    client = make_control_plane_client(http, CP, "stale", on_unauthorized=refresh)
    assert (await client.balance()).amount == Decimal("12.5")
    assert [_bearer(call.request) for call in route.calls] == ["stale", "fresh"]
    assert refreshes == [1] and client.transport.token == "fresh"


async def test_401_refresh_also_covers_posts(router, http):
    route = router.post(f"{CP}/v1/users/accept-tos").mock(
        side_effect=[httpx.Response(401), httpx.Response(200, json=example(cp("users_accept_tos")))]
    )

    async def refresh() -> str:
        return "fresh"

    await make_control_plane_client(http, CP, "stale", on_unauthorized=refresh).accept_tos()
    assert route.call_count == 2


async def test_401_without_a_new_token_raises(router, http):
    router.get(f"{CP}/auth/profile").respond(401, json=example("errors/control_plane_401.response.json"))

    async def no_token() -> None:
        return None

    for hook in (None, no_token):
        with pytest.raises(errors.AuthError, match="invalid or expired token"):
            await make_control_plane_client(http, CP, "stale", on_unauthorized=hook).profile()


async def test_a_second_401_is_not_refreshed_again(router, http):
    route = router.get(f"{CP}/auth/profile").respond(401)
    calls = []

    async def refresh() -> str:
        calls.append(1)
        return f"token{len(calls)}"

    with pytest.raises(errors.AuthError):
        await make_control_plane_client(http, CP, "stale", on_unauthorized=refresh).profile()
    assert calls == [1] and route.call_count == 2


async def test_concurrent_401s_share_one_refresh(router, http):
    stale_failures = asyncio.Event()
    failed = []

    def answer(request: httpx.Request) -> httpx.Response:
        if _bearer(request) == "fresh":
            return httpx.Response(200, json=example(cp("auth_profile")))
        failed.append(1)
        if len(failed) == 2:
            stale_failures.set()
        return httpx.Response(401)

    router.get(f"{CP}/auth/profile").mock(side_effect=answer)
    refreshes = []

    async def refresh() -> str:
        refreshes.append(1)
        await stale_failures.wait()  # both calls have failed with the stale token
        return "fresh"

    client = make_control_plane_client(http, CP, "stale", on_unauthorized=refresh)
    users = await asyncio.gather(client.profile(), client.profile())
    assert [u.id for u in users] == [USER_ID, USER_ID]
    assert refreshes == [1]


async def test_retries_apply_to_control_plane_gets(router, client, sleep):
    route = router.get(f"{CP}/v1/products").mock(
        side_effect=[
            httpx.Response(502, text="<html><title>502 Bad Gateway</title></html>"),
            httpx.Response(200, json={"products": []}),
        ]
    )
    assert await client.products() == []
    assert route.call_count == 2 and sleep.delays == [0.5]
