"""Admin routes (reference §4.7): users and roles, balances, pricing, products and models.
Every handler first checks the caller's role."""

from __future__ import annotations

import secrets
from decimal import Decimal

from tm_tui.emulator.control_plane.billing import parse_amount, serverless_pricing, spending_totals
from tm_tui.emulator.control_plane.call import EMPTY, Call, Routes, enum_value, find, required
from tm_tui.emulator.control_plane.deployments import delete_deployment, find_deployment
from tm_tui.emulator.control_plane.errors import ApiError
from tm_tui.emulator.seed import USER_ROLES, money, money_value


async def admin_users(call: Call) -> dict:
    call.require_admin()
    users = list(call.data.users.values())
    page_items, page, size = call.paged(users, 50)
    return {"users": page_items, "page": page, "size": size, "total": len(users)}


async def admin_change_role(call: Call) -> dict:
    call.require_admin()
    payload = await call.body()
    target = required(payload, "targetUserId")
    role = enum_value(required(payload, "targetUserRole"), "USER_ROLE_", USER_ROLES)
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
    target = required(payload, "targetUserId")
    if target not in call.data.users:
        raise ApiError(404, f"user {target} not found")
    call.store.add_ledger_entry(
        target, parse_amount(payload), "TRANSACTION_TYPE_CREDIT", "Credit added by an administrator"
    )
    return {"balance": money(call.data.balances[target])}


async def admin_spending_summary(call: Call) -> dict:
    call.require_admin()
    ids = _targets(call, await call.body())
    zero = {f"spend{p}": money(0) for p in ("24h", "7d", "30d")}
    return {
        "summaries": [
            {"userId": i, **(spending_totals(call.data) if i == call.store.state.user_id else zero)}
            for i in ids
        ]
    }


async def admin_list_serverless_pricing(call: Call) -> dict:
    call.require_admin()
    return await serverless_pricing(call)


async def admin_upsert_serverless_pricing(call: Call) -> dict:
    call.require_admin()
    pricing = required(await call.body(), "pricing", dict)
    model = required(pricing, "model")
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
    pricing_id = call.required_query("id")
    call.data.serverless_pricing.remove(find(call.data.serverless_pricing, "id", pricing_id, "pricing"))
    return EMPTY


async def admin_upsert_gpu_pricing(call: Call) -> dict:
    call.require_admin()
    pricing = required(await call.body(), "pricing", dict)
    gpu = enum_value(required(pricing, "gpuType"), "GPU_TYPE_")
    provider = enum_value(required(pricing, "cloudProvider"), "CLOUD_PROVIDER_")
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
    product = required(await call.body(), "product", dict)
    product_id = product.get("id") or f"prod_{secrets.token_hex(4)}"
    existing = next((p for p in call.data.products if p["id"] == product_id), None)
    if existing is None:
        existing = {"id": product_id}
        call.data.products.append(existing)
    existing.update({k: v for k, v in product.items() if k != "id"})
    return {"product": existing}


async def admin_list_models(call: Call) -> dict:
    call.require_admin()
    page_items, page, size = call.paged(call.data.models, 20)
    return {"models": page_items, "page": page, "size": size, "total": len(call.data.models)}


async def admin_delete_model(call: Call) -> dict:
    call.require_admin()
    return delete_deployment(call, find_deployment(call, "modelId"))


ROUTES: Routes = (
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
