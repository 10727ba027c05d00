"""Billing (reference §4.4): balance, address, the transaction ledger, spending and usage history,
pricing, and the Stripe customer, payment-method and intent routes. Money is proto `google.type.Money`
and uint64 counters are strings, as grpc-gateway renders them."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tm_tui.emulator.control_plane.call import EMPTY, Call, Routes, enum_value, find, required
from tm_tui.emulator.control_plane.errors import ApiError
from tm_tui.emulator.control_plane.times import now
from tm_tui.emulator.seed import SeedData, money, money_value


async def get_balance(call: Call) -> dict:
    return {"balance": money(call.data.balances[call.scope(call.query("userId"))])}


async def get_address(call: Call) -> dict:
    call.scope(call.query("userId"))
    return {"address": call.data.address}


_ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postalCode", "country", "company", "phone", "name")


async def update_address(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    address = required(payload, "address", dict)
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
    return spending_totals(call.data)


def spending_totals(data: SeedData) -> dict:
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
    bucket = enum_value(call.query("bucket") or "DAY", "USAGE_BUCKET_", _BUCKETS)
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
        rows = [r for r in rows if r["cloudProvider"] == enum_value(provider, "CLOUD_PROVIDER_")]
    if gpu := call.query("gpuType"):
        rows = [r for r in rows if r["gpuType"] == enum_value(gpu, "GPU_TYPE_")]
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
    pm_id = required(payload, "stripePaymentMethodId")
    if any(m["stripePaymentMethodId"] == pm_id for m in call.data.payment_methods):
        raise ApiError(409, f"payment method {pm_id} already attached")
    call.data.payment_methods.append(
        {
            "stripePaymentMethodId": pm_id,
            "type": "card",
            "brand": "visa",
            "last4": f"{int.from_bytes(pm_id.encode()) % 10000:04d}",
            "expMonth": 12,
            "expYear": now().year + 3,
            "isDefault": not call.data.payment_methods,
        }
    )
    return EMPTY


async def detach_payment_method(call: Call) -> dict:
    call.scope(call.query("userId"))
    pm_id = call.required_query("stripePaymentMethodId")
    method = find(call.data.payment_methods, "stripePaymentMethodId", pm_id, "payment method")
    call.data.payment_methods.remove(method)
    return EMPTY


def parse_amount(payload: dict) -> Decimal:
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
    amount = parse_amount(payload)
    intent_id = f"pi_3P{secrets.token_hex(8)}"
    call.store.payment_intents[intent_id] = amount
    return {"stripePaymentIntentId": intent_id, "clientSecret": f"{intent_id}_secret_{secrets.token_hex(6)}"}


async def confirm_payment_intent(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    intent_id = required(payload, "stripePaymentIntentId")
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


ROUTES: Routes = (
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
)
