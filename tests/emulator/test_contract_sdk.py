"""Contract: the official `tensormesh` SDK is the referee of the emulator's wire format.

One scenario calls every endpoint the SDK supports and checks what it parsed. It is written as a
generator that yields each SDK call's result, so the same scenario drives the sync `Tensormesh` client
(results are values) and `AsyncTensormesh` (results are awaited by the driver). Streams and
auto-pagers that come back are drained by the driver too.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import pytest
from tensormesh import AsyncTensormesh, Tensormesh
from tensormesh._exceptions import AuthenticationError, NotFoundError

from tm_tui.emulator.catalog import ON_DEMAND_MODELS, SERVERLESS_MODELS
from tm_tui.emulator.seed import ROLE_ADMIN
from tm_tui.emulator.server import RunningEmulator
from tm_tui.emulator.state import DEMO_USER_ID

Scenario = Generator[Any, Any, None]
MODEL = next(m.name for m in SERVERLESS_MODELS if m.active and not m.reasoning)
REASONING_MODEL = next(m.name for m in SERVERLESS_MODELS if m.active and m.reasoning and not m.think_tags)
MESSAGES = [{"role": "user", "content": "Say hello in five words."}]


def client_kwargs(emulator: RunningEmulator) -> dict[str, Any]:
    return {
        "control_plane_token": emulator.control_plane_token,
        "control_plane_base_url": emulator.control_plane_base_url,
        "inference_api_key": emulator.inference_api_key,
        "serverless_base_url": emulator.serverless_base_url,
        "on_demand_base_url": emulator.on_demand_base_url,
        "on_demand_user_id": emulator.on_demand_user_id,
        "enable_on_demand": True,
        "timeout": 20,
        "env": {},  # never read the developer's TENSORMESH_* variables
    }


def control_plane_scenario(tm: Any, *, bool_params: bool) -> Scenario:
    """Every control-plane call of the SDK (reference §4), checking the parsed results."""
    cp = tm.control_plane
    user = yield cp.users.get_auth_profile()
    assert user.id == DEMO_USER_ID and user.user_role == "USER_ROLE_USER"
    assert (yield cp.users.accept_tos()).tos_accepted_at
    yield cp.users.update(DEMO_USER_ID, display_name="Ada (contract)")
    assert (yield cp.users.get_auth_profile()).display_name == "Ada (contract)"

    # The async SDK cannot send boolean query values (reference §9.7), so those calls are sync-only.
    keys = yield cp.users.api_keys.list(include_deleted=True) if bool_params else cp.users.api_keys.list()
    assert keys and all(k.id for k in keys)
    key = yield cp.users.api_keys.create(user_id=user.id, name="contract", scopes=["inference"])
    assert key.id and key.name == "contract"
    yield cp.users.api_keys.delete(api_key=key.id)
    assert key.id not in {k.id for k in (yield cp.users.api_keys.list())}

    billing = cp.billing
    balance = yield billing.balance.get()
    assert int(balance.units) >= 0 and balance.currency_code == "USD"
    address = yield billing.address.get()
    yield billing.address.update(address={"line1": "1 Loop Rd", "city": "Cupertino", "country": "US"})
    assert (yield billing.address.get()).city == "Cupertino" != address.city
    page = yield billing.transactions.list(page_size=3)
    assert len(page.transactions) == 3 and page.next_page_token
    assert (yield billing.transactions.list(page_size=3, page_token=page.next_page_token)).transactions
    transactions = yield billing.transactions.auto_paging_iter(page_size=250)
    assert len(transactions) >= 1000 and transactions[0].amount.units
    assert any("details" in t.extra for t in transactions)
    summary = yield billing.spending.summary()
    assert summary.spend_30d is not None and summary.spend_24h is not None
    buckets = yield billing.spending.history()
    assert len(buckets) == 90 and buckets[0].cost_saving is not None
    for bucket in ("day", "week", "month"):
        rows = yield billing.spending.usage_history(
            bucket=bucket, start_time="2020-01-01T00:00:00Z", end_time="2100-01-01T00:00:00Z"
        )
        assert rows and all(isinstance(r.input_tokens, int) and r.model_id for r in rows)
    pricing = yield billing.pricing.serverless.list()
    assert {p.model for p in pricing} == {m.name for m in SERVERLESS_MODELS}
    assert pricing[0].input_token_price.units is not None
    if bool_params:
        active = yield billing.pricing.serverless.list(active_only=True)
        assert all(p.is_active for p in active) and len(active) < len(pricing)
    assert [p.model for p in (yield billing.pricing.serverless.list(model=MODEL))] == [MODEL]
    gpus = yield billing.pricing.gpu.list(cloud_provider="CLOUD_PROVIDER_NEBIUS")
    assert gpus and gpus[0].hourly_rate.units
    customer = yield billing.stripe.customer.get_or_create()
    assert customer.stripe_customer_id == user.stripe_customer_id
    yield billing.stripe.payment_methods.attach(stripe_payment_method_id="pm_contract")
    methods = yield billing.stripe.payment_methods.list()
    assert "pm_contract" in methods.stripe_payment_method_ids and methods.payment_methods[0].last4
    yield billing.stripe.payment_methods.detach("pm_contract")
    intent = yield billing.stripe.payment_intents.create(amount=20)
    assert intent.stripe_payment_intent_id and intent.client_secret
    yield billing.stripe.payment_intents.confirm(stripe_payment_intent_id=intent.stripe_payment_intent_id)
    assert int((yield billing.balance.get()).units) >= int(balance.units) + 20 - 1
    assert (yield billing.stripe.setup_intents.create()).client_secret

    tickets = cp.support.tickets
    first = yield tickets.list(size=10)
    assert len(first.tickets) == 10 and int(first.total) >= 25
    every = yield tickets.auto_paging_iter(size=10)
    assert len(every) == int(first.total)
    closed = yield tickets.list(status="TICKET_STATUS_CLOSED")
    assert all(t.status == "TICKET_STATUS_CLOSED" for t in closed.tickets)
    ticket = yield tickets.create(
        subject="Contract", message="Opened by the SDK", ticket_type="TICKET_TYPE_TECHNICAL"
    )
    assert ticket.ticket_id and ticket.conversations[0].content == "Opened by the SDK"
    replied = yield tickets.add_message(ticket.ticket_id, message="A plain string reply")
    assert [c.content for c in replied.conversations][-1] == "A plain string reply"
    assert (yield tickets.get(ticket.ticket_id)).ticket_id == ticket.ticket_id
    assert (yield tickets.close(ticket.ticket_id)).status == "TICKET_STATUS_CLOSED"
    request = yield cp.support.reserved_deployments.submit(full_name="Ada", preferred_gpu="GPU_TYPE_H100")
    assert request.request_id

    products = yield cp.products.list()
    assert products and products[0].required_gpu_num
    assert (yield cp.products.delete(products[-1].id)).deleted is True

    activities = yield cp.activities.list(size=25)
    assert activities.total >= 100 and len(activities.activities) == 25
    assert len((yield cp.activities.auto_paging_iter(size=50))) == (yield cp.activities.list()).total
    one = yield cp.activities.get(activities.activities[0].activity_id)
    assert one.activity_id == activities.activities[0].activity_id
    filtered = yield cp.activities.list(action=one.action, size=200)
    assert all(a.action == one.action for a in filtered.activities)

    metrics = yield cp.observability.users.metrics.get(step_seconds=300)
    assert metrics and metrics[0].name and metrics[0].data

    models = cp.models
    deployments = yield models.list()
    up = [m for m in deployments if m.status == "MODEL_STATUS_UP"]
    assert sorted(m.model_name for m in up) == sorted(ON_DEMAND_MODELS)
    assert (yield models.get(up[0].model_id)).model_name == up[0].model_name
    logs = yield cp.observability.deployments.logs.list(
        up[0].deployment_id, limit=10, direction="LOG_DIRECTION_FORWARD"
    )
    assert len(logs) == 10 and logs[0].message
    deployment_metrics = yield cp.observability.deployments.metrics.get(up[0].deployment_id)
    assert deployment_metrics and deployment_metrics[0].data
    assert (yield models.check(model_id="Qwen/Qwen2.5-Coder-32B-Instruct")).required_gpu_memory_gib > 32
    assert (yield models.validate_name(model_name="contract-model")).is_valid is True
    found = yield models.search_by_infra(infra={"cloudProvider": "CLOUD_PROVIDER_NEBIUS"})
    assert found and all(m.infra.cloud_provider == "CLOUD_PROVIDER_NEBIUS" for m in found)
    assert "ping" in (yield models.chat(up[0].model_id, body="ping")).response
    deployed = yield models.deploy(
        model_name="contract-model",
        model_path="meta-llama/Llama-3.1-8B-Instruct",
        infra={"cloudProvider": "CLOUD_PROVIDER_LAMBDA", "lambdaRegion": "us-east-1"},
        gpu_count=1,
        gpu_type="GPU_TYPE_H100",
    )
    assert deployed.status == "MODEL_STATUS_PENDING"
    yield models.delete(deployed.model_id)
    assert (yield models.get(deployed.model_id)).status == "MODEL_STATUS_DELETED"


def admin_scenario(tm: Any) -> Scenario:
    """The admin endpoints (§4.7), run after the demo user was made an admin."""
    admin = tm.control_plane.admin
    users = yield admin.users.list(size=10)
    assert len(users.users) == 10
    everyone = yield admin.users.auto_paging_iter(size=10)
    assert len(everyone) == int(users.total)
    target = everyone[-1].id
    changed = yield admin.users.change_role(target_user_id=target, target_user_role="USER_ROLE_ADMIN")
    assert changed.user_role == "USER_ROLE_ADMIN"
    balances = yield admin.billing.balances.get(target_user_ids=[target])
    assert balances[0].user_id == target
    added = yield admin.billing.balances.add(target_user_id=target, amount={"units": "5", "nanos": 0})
    assert int(added.units) == int(balances[0].balance.units) + 5
    summaries = yield admin.billing.spending.summary(target_user_ids=[DEMO_USER_ID])
    assert summaries[0].spend_30d is not None
    assert (yield admin.billing.pricing.serverless.list(model=MODEL))[0].model == MODEL
    pricing = {"model": "contract/model", "inputTokenPrice": {"units": "1", "nanos": 0}, "isActive": True}
    created = yield admin.billing.pricing.serverless.upsert(pricing=pricing)
    assert created.model == "contract/model" and created.id
    yield admin.billing.pricing.serverless.upsert(pricing={**pricing, "id": created.id}, method="PUT")
    yield admin.billing.pricing.serverless.delete(created.id)
    gpu = {"gpuType": "GPU_TYPE_B200", "cloudProvider": "CLOUD_PROVIDER_NEBIUS", "hourlyRate": {"units": "6"}}
    assert (yield admin.billing.pricing.gpu.upsert(pricing=gpu)).gpu_type == "GPU_TYPE_B200"
    yield admin.billing.pricing.gpu.delete("GPU_TYPE_B200", "CLOUD_PROVIDER_NEBIUS")
    product = yield admin.products.upsert(product={"name": "4x H200", "requiredGpuNum": 4})
    assert product.id in {p.id for p in (yield admin.products.list())}
    models = yield admin.models.list(size=2)
    assert models.total == len((yield tm.control_plane.models.list())) and len(models.models) == 2
    every = yield admin.models.auto_paging_iter(size=2)
    assert len(every) == models.total
    live = next(m for m in every if m.status != "MODEL_STATUS_DELETED")
    yield admin.models.delete(live.model_id)
    assert (yield tm.control_plane.models.get(live.model_id)).status == "MODEL_STATUS_DELETED"


def inference_scenario(tm: Any) -> Scenario:
    """Both inference surfaces, including chat streams (reference §3, §5)."""
    for surface, model in ((tm.inference.serverless, MODEL), (tm.inference.on_demand, ON_DEMAND_MODELS[0])):
        listed = yield surface.models.list()
        assert model in {m.id for m in listed.data}
        assert (yield surface.health.get()).status
        assert (yield surface.version.get()).version
        reply = yield surface.chat.completions.create(model=model, messages=MESSAGES, max_tokens=16)
        assert reply.choices[0].message.role == "assistant" and reply.usage.total_tokens > 0
        chunks = yield surface.chat.completions.create(
            model=model, messages=MESSAGES, max_tokens=16, stream=True, stream_options={"include_usage": True}
        )
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text and chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
        completion = yield surface.completions.create(model=model, prompt="Once upon a time", max_tokens=8)
        assert completion.choices[0].text
        response = yield surface.responses.create(model=model, input="Hi there", max_output_tokens=8)
        assert response.id and response.output
        tokens = yield surface.tokenize.create(model=model, prompt="hello world")
        assert tokens.tokens
        assert (yield surface.detokenize.create(model=model, tokens=tokens.tokens)).prompt == "hello world"
    chunks = yield tm.inference.serverless.chat.completions.create(
        model=REASONING_MODEL, messages=MESSAGES, max_tokens=64, stream=True
    )
    assert any(c.choices and c.choices[0].delta.reasoning for c in chunks)


def run_sync(scenario: Scenario) -> None:
    result = None
    while True:
        try:
            call = scenario.send(result)
        except StopIteration:
            return
        result = list(call) if isinstance(call, Iterator) else call


async def run_async(scenario: Scenario) -> None:
    result = None
    while True:
        try:
            call = scenario.send(result)
        except StopIteration:
            return
        result = await call if inspect.isawaitable(call) else call
        if isinstance(result, AsyncIterator):
            result = [item async for item in result]


def test_sync_sdk_control_plane(emulator: RunningEmulator) -> None:
    with Tensormesh(**client_kwargs(emulator)) as tm:
        run_sync(control_plane_scenario(tm, bool_params=True))
        emulator.control_plane.set_user_role(DEMO_USER_ID, ROLE_ADMIN)
        run_sync(admin_scenario(tm))


async def test_async_sdk_control_plane(emulator: RunningEmulator) -> None:
    async with AsyncTensormesh(**client_kwargs(emulator)) as tm:
        await run_async(control_plane_scenario(tm, bool_params=False))
        emulator.control_plane.set_user_role(DEMO_USER_ID, ROLE_ADMIN)
        await run_async(admin_scenario(tm))


def test_sync_sdk_inference(emulator: RunningEmulator) -> None:
    with Tensormesh(**client_kwargs(emulator)) as tm:
        run_sync(inference_scenario(tm))


async def test_async_sdk_inference(emulator: RunningEmulator) -> None:
    async with AsyncTensormesh(**client_kwargs(emulator)) as tm:
        await run_async(inference_scenario(tm))


def test_sdk_error_mapping(emulator: RunningEmulator) -> None:
    kwargs = client_kwargs(emulator) | {"control_plane_token": "not-a-token"}
    with Tensormesh(**kwargs) as tm, pytest.raises(AuthenticationError) as error:
        tm.control_plane.users.get_auth_profile()
    assert error.value.request_id
    with Tensormesh(**client_kwargs(emulator)) as tm, pytest.raises(NotFoundError):
        tm.control_plane.support.tickets.get("tkt_missing")
