"""On-demand models / deployments (reference §4.6): list, deploy, delete, checks and chat."""

from __future__ import annotations

import re
import secrets

from tm_tui.emulator.control_plane.call import EMPTY, Call, Routes, required
from tm_tui.emulator.control_plane.errors import ApiError
from tm_tui.emulator.control_plane.times import now
from tm_tui.emulator.seed import (
    MODEL_DELETED,
    MODEL_PENDING,
    MODEL_UP,
    PROVIDER_ENDPOINTS,
    deployment_record,
    model_event,
)


def find_deployment(call: Call, key: str = "deploymentId") -> dict:
    wanted = call.path(key)
    model = next((m for m in call.data.models if wanted in (m["deploymentId"], m["modelId"])), None)
    if model is None:
        raise ApiError(404, f"deployment {wanted} not found")
    return model


async def list_models(call: Call) -> dict:
    call.scope(call.query("userId"))
    return {"models": [m for m in call.data.models if m["userId"] == call.user_id]}


async def get_model(call: Call) -> dict:
    call.scope(call.query("userId"))
    return {"model": find_deployment(call, "modelId")}


_MODEL_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")


async def deploy_model(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    name = required(payload, "modelName")
    if not _MODEL_NAME.fullmatch(name):
        raise ApiError(400, "modelName must be 2-63 lower-case letters, digits or dashes")
    if any(m["modelName"] == name and m["status"] != MODEL_DELETED for m in call.data.models):
        raise ApiError(409, f"a deployment named {name} already exists")
    infra = payload.get("infra") or {"cloudProvider": "CLOUD_PROVIDER_NEBIUS", "nebiusRegion": "eu-north1"}
    if not isinstance(infra, dict) or infra.get("cloudProvider") not in PROVIDER_ENDPOINTS:
        raise ApiError(400, "infra.cloudProvider must be one of " + ", ".join(PROVIDER_ENDPOINTS))
    record = deployment_record(
        secrets.token_hex(5).upper(),
        call.user_id,
        name=name,
        path=str(payload.get("modelPath") or ""),
        description=str(payload.get("description") or ""),
        status=MODEL_PENDING,
        infra=infra,
        gpu=str(payload.get("gpuType") or "GPU_TYPE_H100"),
        gpu_count=int(payload.get("gpuCount") or 1),
        model_spec=payload.get("modelSpec") or {},
        api_key=str(payload.get("apiKey") or f"sk-dep-{secrets.token_hex(8)}"),
        events=[model_event(now(), "Deployment requested", "MODEL_EVENT_TYPE_CREATED")],
    )
    call.data.models.insert(0, record)
    call.data.deployment_logs[record["deploymentId"]] = []
    call.store.record_activity(call.user_id, "model.deployed", "model", record["modelId"], f"Deployed {name}")
    return {"model": record}


def delete_deployment(call: Call, model: dict) -> dict:
    if model["status"] == MODEL_DELETED:
        raise ApiError(404, f"model {model['modelId']} not found")
    event = model_event(now(), "Deployment deleted by user", "MODEL_EVENT_TYPE_DELETED")
    model.update(status=MODEL_DELETED, replicas=0, updatedAt=event["createdAt"])
    model["events"].append(event)
    call.store.record_activity(
        call.user_id, "model.deleted", "model", model["modelId"], f"Deleted {model['modelName']}"
    )
    return EMPTY


async def delete_model(call: Call) -> dict:
    call.scope(call.query("userId"))
    return delete_deployment(call, find_deployment(call, "modelId"))


async def check_model(call: Call) -> dict:
    model_id = required(await call.body(), "modelId")
    # Size from the "8B"/"70B" in the name: bf16 weights plus ~10 % runtime overhead.
    match = re.search(r"(\d+(?:\.\d+)?)[bB](?![a-zA-Z])", model_id)
    params_b = float(match.group(1)) if match else 7.0
    weights = round(params_b * 2 * 1.1, 1)
    return {"requiredGpuMemoryGib": weights, "requiredLmCacheMemoryGib": round(max(4.0, weights / 4), 1)}


async def validate_model_name(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    name = required(payload, "modelName")
    taken = any(m["modelName"] == name and m["status"] != MODEL_DELETED for m in call.data.models)
    return {"isValid": bool(_MODEL_NAME.fullmatch(name)) and not taken}


async def search_by_infra(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    infra = required(payload, "infra", dict)
    wanted = {k: v for k, v in infra.items() if v not in (None, "")}
    return {"models": [m for m in call.data.models if all(m["infra"].get(k) == v for k, v in wanted.items())]}


async def model_chat(call: Call) -> dict:
    payload = await call.body()
    call.scope(payload.get("userId"))
    text = required(payload, "body")
    model = find_deployment(call, "modelId")
    if model["status"] != MODEL_UP:
        raise ApiError(400, f"model {model['modelName']} is not up ({model['status']})")
    return {
        "response": f"[{model['modelName']}] I am {model['modelPath']} served by the Tensormesh emulator. "
        f"You said: {text[:200]}"
    }


# Literal routes come before the `{modelId}` routes they would otherwise match.
ROUTES: Routes = (
    ("GET", "/v1/models", list_models),
    ("POST", "/v1/models", deploy_model),
    ("POST", "/v1/models/check", check_model),
    ("POST", "/v1/models:validate", validate_model_name),
    ("POST", "/v1/models:search-by-infra", search_by_infra),
    ("POST", "/v1/models/{modelId}:chat", model_chat),
    ("GET", "/v1/models/{modelId}", get_model),
    ("DELETE", "/v1/models/{modelId}", delete_model),
)
