"""Shapes and state changes of every control-plane route (reference §4), over real HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from tm_tui.emulator.catalog import ON_DEMAND_MODELS, SERVERLESS_MODELS
from tm_tui.emulator.seed import ROLE_ADMIN, money_value
from tm_tui.emulator.server import RunningEmulator
from tm_tui.emulator.state import DEMO_DEPLOYMENT_KEY, DEMO_INFERENCE_KEY, DEMO_USER_ID

UP_DEPLOYMENT = "dep_01J2LLAMA8B"


def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"]
    return response.json()


def assert_error(response: httpx.Response, status: int, grpc_code: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["x-request-id"]
    body = response.json()
    assert body["code"] == grpc_code
    assert isinstance(body["message"], str) and body["message"]
    assert body["details"] == []


def assert_money(value: dict) -> None:
    assert value["currencyCode"] == "USD"
    assert isinstance(value["units"], str)
    int(value["units"])
    assert isinstance(value["nanos"], int)


LIST_ROUTES = [
    ("/v1/users/api-keys", "apiKeys"),
    ("/v1/billing/transactions", "transactions"),
    ("/v1/billing/spending/history", "buckets"),
    ("/v1/billing/serverless-usage/history", "rows"),
    ("/v1/billing/serverless-pricing", "pricing"),
    ("/v1/billing/gpu-pricing", "pricing"),
    ("/v1/billing/stripe/customers/payment-methods", "paymentMethods"),
    ("/v1/support/tickets", "tickets"),
    ("/v1/products", "products"),
    ("/v1/activities", "activities"),
    ("/v1/observability/users/metrics", "metrics"),
    (f"/v1/observability/deployments/{UP_DEPLOYMENT}/metrics", "metrics"),
    (f"/v1/observability/deployments/{UP_DEPLOYMENT}/logs", "logs"),
    ("/v1/models", "models"),
]


@pytest.mark.parametrize(("path", "key"), LIST_ROUTES)
def test_list_routes_have_non_empty_list_wrappers(cp: httpx.Client, path: str, key: str) -> None:
    body = ok(cp.get(path))
    assert isinstance(body[key], list) and body[key]


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/v1/billing/serverless-pricing?model=no-such-model", "pricing"),
        ("/v1/billing/gpu-pricing?gpuType=GPU_TYPE_B200", "pricing"),
        (
            "/v1/billing/serverless-usage/history?startTime=2001-01-01T00:00:00Z&endTime=2001-02-01T00:00:00Z",
            "rows",
        ),
        ("/v1/support/tickets?page=99", "tickets"),
        ("/v1/activities?action=no.such.action", "activities"),
    ],
)
def test_empty_lists_keep_their_wrapper(cp: httpx.Client, path: str, key: str) -> None:
    assert ok(cp.get(path))[key] == []


def test_profile_balance_address_customer(cp: httpx.Client) -> None:
    user = ok(cp.get("/auth/profile"))["user"]
    assert user["id"] == DEMO_USER_ID
    assert user["userRole"] == "USER_ROLE_USER"
    assert {"userEmail", "company", "tosAcceptedAt", "displayName"} <= user.keys()
    assert_money(ok(cp.get("/v1/billing/balance"))["balance"])
    assert ok(cp.get("/v1/billing/address"))["address"]["city"]
    assert ok(cp.get("/v1/billing/stripe/customers"))["stripeCusId"] == user["stripeCusId"]


def test_spending_summary_matches_history(cp: httpx.Client) -> None:
    summary = ok(cp.get("/v1/billing/spending/summary"))
    buckets = ok(cp.get("/v1/billing/spending/history"))["buckets"]
    assert len(buckets) == 90
    for bucket in buckets:
        assert_money(bucket["amount"])
        assert_money(bucket["costSaving"])
    last7 = sum(money_value(b["amount"]) for b in buckets[-7:])
    assert money_value(summary["spend7d"]) == last7
    assert (
        money_value(summary["spend24h"])
        <= money_value(summary["spend7d"])
        <= money_value(summary["spend30d"])
    )


def test_transactions_page_to_the_end(cp: httpx.Client) -> None:
    seen, token, pages = [], None, 0
    while True:
        params = {"pageSize": 200} | ({"pageToken": token} if token else {})
        body = ok(cp.get("/v1/billing/transactions", params=params))
        seen += body["transactions"]
        pages += 1
        token = body.get("nextPageToken")
        if not token:
            assert "nextPageToken" not in body
            break
    assert len(seen) >= 1000 and pages >= 5
    assert len({t["transactionId"] for t in seen}) == len(seen)
    assert [t["createdAt"] for t in seen] == sorted((t["createdAt"] for t in seen), reverse=True)
    kinds = {t["type"] for t in seen}
    assert {"TRANSACTION_TYPE_CHARGE", "TRANSACTION_TYPE_TOPUP", "TRANSACTION_TYPE_REFUND"} <= kinds
    monthly = [t for t in seen if "details" in t]
    assert len(monthly) >= 20
    for charge in monthly:
        assert charge["type"] == "TRANSACTION_TYPE_CHARGE"
        per_model = charge["details"]["models"]
        total = sum(Decimal(m["total_amount"]) for m in per_model.values())
        assert money_value(charge["amount"]) == total
        for name, entry in per_model.items():
            assert entry["name"] == name and entry["event_count"] > 0 and entry["input_tokens"] > 0


def test_monthly_charge_agrees_with_usage_history(cp: httpx.Client) -> None:
    last_month = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).date()
    label = f"Serverless usage {last_month:%Y-%m}"
    transactions = ok(cp.get("/v1/billing/transactions", params={"pageSize": 200}))["transactions"]
    charge = next(t for t in transactions if t["description"] == label)
    rows = ok(
        cp.get(
            "/v1/billing/serverless-usage/history",
            params={
                "bucket": "USAGE_BUCKET_MONTH",
                "startTime": f"{last_month.replace(day=1)}T00:00:00Z",
                "endTime": f"{last_month}T23:59:59Z",
            },
        )
    )["rows"]
    assert {r["modelId"]: int(r["inputTokens"]) for r in rows} == {
        name: m["input_tokens"] for name, m in charge["details"]["models"].items()
    }


def test_bad_page_token_and_size(cp: httpx.Client) -> None:
    assert_error(cp.get("/v1/billing/transactions", params={"pageToken": "garbage!"}), 400, 3)
    assert_error(cp.get("/v1/billing/transactions", params={"pageSize": "many"}), 400, 3)


def test_usage_history_buckets_and_strings(cp: httpx.Client) -> None:
    window = {"startTime": "2000-01-01T00:00:00Z", "endTime": datetime.now(UTC).isoformat()}
    counts = {}
    for bucket in ("day", "USAGE_BUCKET_WEEK", "MONTH"):
        rows = ok(cp.get("/v1/billing/serverless-usage/history", params={"bucket": bucket, **window}))["rows"]
        starts = {date.fromisoformat(r["bucketStart"][:10]) for r in rows}
        if bucket == "USAGE_BUCKET_WEEK":
            assert all(d.weekday() == 0 for d in starts)
        if bucket == "MONTH":
            assert all(d.day == 1 for d in starts)
        for row in rows:
            for key in ("inputTokens", "outputTokens", "cachedTokens", "requestCount"):
                assert isinstance(row[key], str) and int(row[key]) >= 0
        counts[bucket] = sum(int(r["inputTokens"]) for r in rows)
    assert len(set(counts.values())) == 1  # same tokens, however bucketed
    default = ok(cp.get("/v1/billing/serverless-usage/history"))["rows"]
    assert 0 < len({r["bucketStart"] for r in default}) <= 31


def test_usage_history_rejects_bad_input(cp: httpx.Client) -> None:
    path = "/v1/billing/serverless-usage/history"
    assert_error(cp.get(path, params={"bucket": "USAGE_BUCKET_YEAR"}), 400, 3)
    assert_error(cp.get(path, params={"startTime": "yesterday"}), 400, 3)
    params = {"startTime": "2026-02-01T00:00:00Z", "endTime": "2026-01-01T00:00:00Z"}
    assert_error(cp.get(path, params=params), 400, 3)


def test_serverless_pricing_filters(cp: httpx.Client) -> None:
    rows = ok(cp.get("/v1/billing/serverless-pricing"))["pricing"]
    assert [r["model"] for r in rows] == [m.name for m in SERVERLESS_MODELS]
    assert any(not r["isActive"] for r in rows)
    for row in rows:
        assert_money(row["inputTokenPrice"])
        assert_money(row["outputTokenPrice"])
    active = ok(cp.get("/v1/billing/serverless-pricing", params={"activeOnly": "true"}))["pricing"]
    assert active and all(r["isActive"] for r in active) and len(active) < len(rows)
    # The bare sync SDK sends Python's `True`; accept it too.
    assert ok(cp.get("/v1/billing/serverless-pricing", params={"activeOnly": "True"}))["pricing"] == active
    one = ok(cp.get("/v1/billing/serverless-pricing", params={"model": SERVERLESS_MODELS[0].name}))["pricing"]
    assert [r["model"] for r in one] == [SERVERLESS_MODELS[0].name]
    assert money_value(one[0]["inputTokenPrice"]) == Decimal(SERVERLESS_MODELS[0].input_price)


def test_gpu_pricing_filters(cp: httpx.Client) -> None:
    rows = ok(cp.get("/v1/billing/gpu-pricing"))["pricing"]
    nebius = ok(cp.get("/v1/billing/gpu-pricing", params={"cloudProvider": "nebius"}))["pricing"]
    assert nebius and {r["cloudProvider"] for r in nebius} == {"CLOUD_PROVIDER_NEBIUS"}
    active = ok(cp.get("/v1/billing/gpu-pricing", params={"activeOnly": "true"}))["pricing"]
    assert len(active) < len(rows)
    h100 = ok(cp.get("/v1/billing/gpu-pricing", params={"gpuType": "GPU_TYPE_H100"}))["pricing"]
    assert len(h100) >= 2 and all(r["gpuType"] == "GPU_TYPE_H100" for r in h100)


def test_auth_required_everywhere_but_login(anon: httpx.Client, emulator: RunningEmulator) -> None:
    assert_error(anon.get("/auth/profile"), 401, 16)
    assert_error(anon.get("/v1/billing/balance", headers={"Authorization": "Bearer nope"}), 401, 16)
    # An inference key is not a control-plane token.
    assert_error(
        anon.get("/v1/billing/balance", headers={"Authorization": f"Bearer {DEMO_INFERENCE_KEY}"}), 401, 16
    )
    assert_error(
        anon.get("/v1/billing/balance", headers={"Authorization": emulator.control_plane_token}), 401, 16
    )


def test_unknown_route_and_method(cp: httpx.Client) -> None:
    assert_error(cp.get("/v1/nothing-here"), 404, 5)
    assert_error(cp.patch("/v1/billing/balance"), 405, 12)


def test_bad_bodies_are_400(cp: httpx.Client) -> None:
    headers = {"Content-Type": "application/json"}
    assert_error(cp.put("/v1/billing/address", content=b"{not json", headers=headers), 400, 3)
    assert_error(cp.put("/v1/billing/address", json=["a list"]), 400, 3)
    assert_error(cp.put("/v1/billing/address", json={}), 400, 3)
    assert_error(cp.post("/v1/support/tickets", json={"subject": "no message"}), 400, 3)
    assert_error(cp.post("/v1/users/api-keys", json={"name": "no user id"}), 400, 3)


def test_other_users_scope_is_forbidden(cp: httpx.Client) -> None:
    assert_error(
        cp.get("/v1/billing/balance", params={"userId": "00000000-0000-4000-8000-000000000000"}), 403, 7
    )
    ok(cp.get("/v1/billing/balance", params={"userId": DEMO_USER_ID}))


def test_profile_update_and_terms(cp: httpx.Client) -> None:
    before = ok(cp.get("/auth/profile"))["user"]
    assert ok(
        cp.put(f"/v1/users/{DEMO_USER_ID}", json={"displayName": "Countess", "company": "Babbage & Co"})
    ) == {"empty": {}}
    after = ok(cp.get("/auth/profile"))["user"]
    assert (after["displayName"], after["company"]) == ("Countess", "Babbage & Co")
    assert after["firstName"] == before["firstName"]
    accepted = ok(cp.post("/v1/users/accept-tos", json={}))["user"]
    assert accepted["tosAcceptedAt"] > before["tosAcceptedAt"]
    assert ok(cp.get("/auth/profile"))["user"]["tosAcceptedAt"] == accepted["tosAcceptedAt"]
    assert_error(cp.put("/v1/users/00000000-0000-4000-8000-000000000000", json={}), 404, 5)


def test_api_key_lifecycle_reaches_inference_keys(cp: httpx.Client, emulator: RunningEmulator) -> None:
    listed = ok(cp.get("/v1/users/api-keys"))["apiKeys"]
    assert DEMO_INFERENCE_KEY in {k["id"] for k in listed}
    assert all("deletedAt" not in k for k in listed)
    with_deleted = ok(cp.get("/v1/users/api-keys", params={"includeDeleted": "true"}))["apiKeys"]
    assert any("deletedAt" in k for k in with_deleted)
    expired = [k for k in listed if k.get("expiresAt", "9") < datetime.now(UTC).isoformat()]
    assert expired and not any(emulator.state.is_valid_inference_key(k["id"]) for k in expired)

    body = {
        "userId": DEMO_USER_ID,
        "name": "tm-tui",
        "scopes": ["inference"],
        "expiresAt": "2099-01-01T00:00:00Z",
    }
    key = ok(cp.post("/v1/users/api-keys", json=body))["apiKey"]
    assert key["name"] == "tm-tui" and key["scopes"] == ["inference"] and key["expiresAt"].startswith("2099")
    assert emulator.state.is_valid_inference_key(key["id"])
    assert key["id"] in {k["id"] for k in ok(cp.get("/v1/users/api-keys"))["apiKeys"]}

    assert ok(cp.delete("/v1/users/api-keys", params={"apiKey": key["id"]})) == {"empty": {}}
    assert not emulator.state.is_valid_inference_key(key["id"])
    assert key["id"] not in {k["id"] for k in ok(cp.get("/v1/users/api-keys"))["apiKeys"]}
    assert_error(cp.delete("/v1/users/api-keys", params={"apiKey": key["id"]}), 404, 5)
    assert_error(cp.delete("/v1/users/api-keys", params={"apiKey": "tmk_nope"}), 404, 5)
    assert_error(cp.delete("/v1/users/api-keys"), 400, 3)
    logged = ok(cp.get("/v1/activities", params={"size": 2}))["activities"]
    assert [a["action"] for a in logged] == ["api_key.deleted", "api_key.created"]
    assert key["id"] not in str(logged)  # the id is the secret: the log names the key otherwise
    assert logged[0]["resourceId"] == logged[1]["resourceId"]


def test_billing_address_update(cp: httpx.Client) -> None:
    address = {"line1": "1 Analytical Way", "city": "London", "postalCode": "N1", "country": "GB"}
    assert ok(cp.put("/v1/billing/address", json={"address": address})) == {"empty": {}}
    assert ok(cp.get("/v1/billing/address"))["address"] == address


def test_top_up_through_payment_intent(cp: httpx.Client) -> None:
    before = money_value(ok(cp.get("/v1/billing/balance"))["balance"])
    intent = ok(
        cp.post("/v1/billing/stripe/payment-intents", json={"amount": {"units": "20", "nanos": 500000000}})
    )
    assert intent["clientSecret"].startswith(intent["stripePaymentIntentId"])
    confirm = {"stripePaymentIntentId": intent["stripePaymentIntentId"]}
    assert ok(cp.post("/v1/billing/stripe/payment-intents/confirm", json=confirm)) == {"empty": {}}
    assert money_value(ok(cp.get("/v1/billing/balance"))["balance"]) == before + Decimal("20.5")
    newest = ok(cp.get("/v1/billing/transactions", params={"pageSize": 1}))["transactions"][0]
    assert newest["type"] == "TRANSACTION_TYPE_TOPUP"
    assert newest["stripePaymentIntentId"] == intent["stripePaymentIntentId"]
    assert_error(cp.post("/v1/billing/stripe/payment-intents/confirm", json=confirm), 404, 5)
    # The CLI sends bare numbers (reference §9.20).
    ok(cp.post("/v1/billing/stripe/payment-intents", json={"amount": 15}))
    assert_error(cp.post("/v1/billing/stripe/payment-intents", json={"amount": -3}), 400, 3)
    setup = ok(cp.post("/v1/billing/stripe/setup-intents", json={}))
    assert setup["stripeSetupIntentId"] and setup["clientSecret"]


def test_payment_methods_attach_detach(cp: httpx.Client) -> None:
    path = "/v1/billing/stripe/customers/payment-methods"
    assert ok(cp.post(path, json={"stripePaymentMethodId": "pm_new"})) == {"empty": {}}
    listed = ok(cp.get(path))
    assert "pm_new" in listed["stripePaymentMethodIds"]
    assert len(listed["paymentMethods"]) == len(listed["stripePaymentMethodIds"])
    assert ok(cp.delete(path, params={"stripePaymentMethodId": "pm_new"})) == {"empty": {}}
    assert "pm_new" not in ok(cp.get(path))["stripePaymentMethodIds"]
    assert_error(cp.delete(path, params={"stripePaymentMethodId": "pm_new"}), 404, 5)


def test_tickets_paging_and_filters(cp: httpx.Client) -> None:
    first = ok(cp.get("/v1/support/tickets", params={"size": 10}))
    assert isinstance(first["total"], str) and int(first["total"]) >= 25
    assert (first["page"], first["size"]) == (1, 10)
    collected, page = [], 1
    while True:
        body = ok(cp.get("/v1/support/tickets", params={"page": page, "size": 10}))
        if not body["tickets"]:
            break
        collected += body["tickets"]
        page += 1
    assert len(collected) == int(first["total"]) and page == 4
    assert all(t["conversations"] for t in collected)
    closed = ok(cp.get("/v1/support/tickets", params={"status": "TICKET_STATUS_CLOSED", "size": 100}))
    assert closed["tickets"] and all(t["status"] == "TICKET_STATUS_CLOSED" for t in closed["tickets"])
    assert int(closed["total"]) < int(first["total"])
    assert_error(cp.get("/v1/support/tickets", params={"status": "MAYBE"}), 400, 3)


def test_ticket_create_reply_close(cp: httpx.Client) -> None:
    total = int(ok(cp.get("/v1/support/tickets"))["total"])
    ticket = ok(
        cp.post("/v1/support/tickets", json={"subject": "Help", "message": "It broke", "type": "BILLING"})
    )["ticket"]
    assert ticket["status"] == "TICKET_STATUS_OPEN" and ticket["type"] == "TICKET_TYPE_BILLING"
    assert ticket["conversations"][0]["content"] == "It broke"
    assert int(ok(cp.get("/v1/support/tickets"))["total"]) == total + 1
    path = f"/v1/support/tickets/{ticket['ticketId']}"
    reply = ok(cp.post(f"{path}/messages", json={"message": {"content": "More detail"}}))["ticket"]
    assert [c["content"] for c in reply["conversations"]] == ["It broke", "More detail"]
    closed = ok(cp.delete(path))["ticket"]
    assert closed["status"] == "TICKET_STATUS_CLOSED"
    fetched = ok(cp.get(path))["ticket"]
    assert fetched["status"] == "TICKET_STATUS_CLOSED" and len(fetched["conversations"]) == 2
    assert_error(cp.get("/v1/support/tickets/tkt_0"), 404, 5)
    assert_error(cp.post(f"{path}/messages", json={"message": {}}), 400, 3)


def test_activities_paging_filters_and_get(cp: httpx.Client) -> None:
    first = ok(cp.get("/v1/activities", params={"size": 50}))
    assert first["total"] >= 100 and len(first["activities"]) == 50
    all_items = ok(cp.get("/v1/activities", params={"size": 200}))["activities"]
    assert len(all_items) == first["total"]
    action = all_items[0]["action"]
    filtered = ok(cp.get("/v1/activities", params={"action": action, "size": 200}))
    assert filtered["total"] == sum(a["action"] == action for a in all_items)
    cutoff = all_items[len(all_items) // 2]["occurredAt"]
    recent = ok(cp.get("/v1/activities", params={"startTime": cutoff, "size": 200}))["activities"]
    assert recent and all(a["occurredAt"] >= cutoff for a in recent)
    one = ok(cp.get(f"/v1/activities/{all_items[3]['activityId']}"))["activity"]
    assert one == all_items[3]
    assert_error(cp.get("/v1/activities/act_nope"), 404, 5)


def test_products(cp: httpx.Client) -> None:
    products = ok(cp.get("/v1/products"))["products"]
    assert all(isinstance(p["requiredGpuNum"], int) for p in products)
    assert ok(cp.delete(f"/v1/products/{products[0]['id']}")) == {"deleted": True}
    assert len(ok(cp.get("/v1/products"))["products"]) == len(products) - 1
    assert_error(cp.delete(f"/v1/products/{products[0]['id']}"), 404, 5)


def test_deployments_seeded_like_the_catalog(cp: httpx.Client) -> None:
    models = ok(cp.get("/v1/models"))["models"]
    up = [m for m in models if m["status"] == "MODEL_STATUS_UP"]
    assert sorted(m["modelName"] for m in up) == sorted(ON_DEMAND_MODELS)
    assert {m["infra"]["cloudProvider"] for m in up} == {"CLOUD_PROVIDER_NEBIUS", "CLOUD_PROVIDER_LAMBDA"}
    assert all(m["apiKey"] == DEMO_DEPLOYMENT_KEY and m["events"] for m in up)
    statuses = {m["status"] for m in models}
    assert {"MODEL_STATUS_PENDING", "MODEL_STATUS_FAILED", "MODEL_STATUS_DELETED"} <= statuses
    assert ok(cp.get(f"/v1/models/{up[0]['modelId']}"))["model"] == up[0]
    assert_error(cp.get("/v1/models/mdl_nope"), 404, 5)


def test_deploy_then_delete(cp: httpx.Client) -> None:
    request = {
        "modelName": "ada-new-model",
        "modelPath": "meta-llama/Llama-3.1-8B-Instruct",
        "infra": {"cloudProvider": "CLOUD_PROVIDER_LAMBDA", "lambdaRegion": "us-east-1"},
        "gpuCount": 1,
        "gpuType": "GPU_TYPE_H100",
    }
    model = ok(cp.post("/v1/models", json=request))["model"]
    assert model["status"] == "MODEL_STATUS_PENDING" and model["apiKey"]
    assert_error(cp.post("/v1/models", json=request), 409, 6)
    assert ok(cp.post("/v1/models:validate", json={"modelName": "ada-new-model"})) == {"isValid": False}
    assert ok(cp.post("/v1/models:validate", json={"modelName": "fresh-name"})) == {"isValid": True}
    assert ok(cp.delete(f"/v1/models/{model['modelId']}")) == {"empty": {}}
    assert ok(cp.get(f"/v1/models/{model['modelId']}"))["model"]["status"] == "MODEL_STATUS_DELETED"
    assert_error(cp.delete(f"/v1/models/{model['modelId']}"), 404, 5)


def test_model_check_search_chat(cp: httpx.Client) -> None:
    check = ok(cp.post("/v1/models/check", json={"modelId": "meta-llama/Llama-3.3-70B-Instruct"}))
    assert check["requiredGpuMemoryGib"] > 100 and check["requiredLmCacheMemoryGib"] > 0
    found = ok(
        cp.post("/v1/models:search-by-infra", json={"infra": {"cloudProvider": "CLOUD_PROVIDER_LAMBDA"}})
    )
    assert found["models"] and all(
        m["infra"]["cloudProvider"] == "CLOUD_PROVIDER_LAMBDA" for m in found["models"]
    )
    reply = ok(cp.post("/v1/models/mdl_01J2LLAMA8B:chat", json={"body": "Hello there"}))
    assert "Hello there" in reply["response"]
    assert_error(cp.post("/v1/models/mdl_01JBLLAMA70B:chat", json={"body": "hi"}), 400, 3)
    assert_error(cp.post("/v1/models/check", json={}), 400, 3)


def test_observability(cp: httpx.Client) -> None:
    params = {"startTime": "2026-03-01T10:00:00Z", "endTime": "2026-03-01T11:00:00Z", "stepSeconds": 300}
    metrics = ok(cp.get("/v1/observability/users/metrics", params=params))["metrics"]
    assert all(len(m["data"]) == 13 for m in metrics)
    assert metrics == ok(cp.get("/v1/observability/users/metrics", params=params))["metrics"]  # deterministic
    assert all(isinstance(p["value"], float) for m in metrics for p in m["data"])
    logs_path = f"/v1/observability/deployments/{UP_DEPLOYMENT}/logs"
    forward = ok(cp.get(logs_path, params={"limit": 5, "direction": "LOG_DIRECTION_FORWARD"}))["logs"]
    backward = ok(cp.get(logs_path, params={"limit": 5, "direction": "LOG_DIRECTION_BACKWARD"}))["logs"]
    assert len(forward) == len(backward) == 5
    assert forward[0]["timestamp"] < backward[0]["timestamp"]
    assert "Started server process" in forward[0]["message"]
    assert_error(cp.get("/v1/observability/deployments/dep_nope/logs"), 404, 5)
    assert_error(cp.get("/v1/observability/users/metrics", params={"stepSeconds": "-1"}), 400, 3)


def test_reserved_deployment(cp: httpx.Client) -> None:
    body = ok(
        cp.post("/v1/support/reserved-deployments", json={"fullName": "Ada", "preferredGpu": "GPU_TYPE_H100"})
    )
    assert body["requestId"].startswith("rdr_")


def test_admin_routes_need_the_admin_role(cp: httpx.Client, emulator: RunningEmulator) -> None:
    assert_error(cp.get("/v1/admin/users"), 403, 7)
    emulator.control_plane.set_user_role(DEMO_USER_ID, ROLE_ADMIN)
    first = ok(cp.get("/v1/admin/users", params={"size": 20}))
    assert first["total"] > 20 and len(first["users"]) == 20
    other = first["users"][1]["id"]
    changed = ok(
        cp.post("/v1/admin/users/change_role", json={"targetUserId": other, "targetUserRole": "admin"})
    )
    assert changed["user"]["userRole"] == "USER_ROLE_ADMIN"
    before = money_value(
        ok(cp.post("/v1/admin/billing/balances", json={"targetUserIds": [other]}))["balances"][0]["balance"]
    )
    after = ok(cp.post("/v1/admin/billing/balances:add", json={"targetUserId": other, "amount": 25}))[
        "balance"
    ]
    assert money_value(after) == before + 25
    summaries = ok(cp.post("/v1/admin/billing/spending/summary", json={"targetUserIds": [DEMO_USER_ID]}))[
        "summaries"
    ]
    assert summaries[0]["spend30d"] == ok(cp.get("/v1/billing/spending/summary"))["spend30d"]
    upsert = {
        "pricing": {
            "model": "new/model",
            "inputTokenPrice": 1,
            "outputTokenPrice": {"units": "2", "nanos": 0},
        }
    }
    created = ok(cp.post("/v1/admin/billing/serverless-pricing", json=upsert))["pricing"]
    assert created["inputTokenPrice"]["units"] == "1"
    assert ok(cp.get("/v1/billing/serverless-pricing", params={"model": "new/model"}))["pricing"] == [created]
    assert ok(cp.delete("/v1/admin/billing/serverless-pricing", params={"id": created["id"]})) == {
        "empty": {}
    }
    gpu = {"pricing": {"gpuType": "GPU_TYPE_B200", "cloudProvider": "CLOUD_PROVIDER_NEBIUS", "hourlyRate": 6}}
    ok(cp.put("/v1/admin/billing/gpu-pricing", json=gpu))
    ok(cp.delete("/v1/admin/billing/gpu-pricing/GPU_TYPE_B200/CLOUD_PROVIDER_NEBIUS"))
    assert ok(cp.get("/v1/billing/gpu-pricing", params={"gpuType": "GPU_TYPE_B200"}))["pricing"] == []
    product = ok(cp.post("/v1/admin/products", json={"product": {"name": "4x H200", "requiredGpuNum": 4}}))[
        "product"
    ]
    assert product in ok(cp.get("/v1/admin/products"))["products"]
    admin_models = ok(cp.get("/v1/admin/models", params={"size": 2}))
    assert admin_models["total"] == 5 and len(admin_models["models"]) == 2
    assert ok(cp.delete(f"/v1/admin/models/{admin_models['models'][0]['modelId']}")) == {"empty": {}}


def test_faults_apply_to_the_control_plane(cp: httpx.Client, emulator: RunningEmulator) -> None:
    emulator.state.faults.add("status=503,retry_after=2@control_plane:/v1/billing/balance#times=1")
    failed = cp.get("/v1/billing/balance")
    assert_error(failed, 503, 14)
    assert failed.headers["retry-after"] == "2"
    ok(cp.get("/v1/billing/balance"))
