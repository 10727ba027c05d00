"""Observability (reference §4.5): user and deployment metric series, and deployment logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tm_tui.emulator.control_plane.call import Call, Routes, enum_value
from tm_tui.emulator.control_plane.deployments import find_deployment
from tm_tui.emulator.control_plane.errors import ApiError
from tm_tui.emulator.control_plane.times import parse_time
from tm_tui.emulator.seed import DEPLOYMENT_METRICS, MODEL_UP, USER_METRICS, metric_series, rfc3339

MAX_LIVE_LINES = 50  # per request: a client that polls rarely gets the latest lines, not a flood


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


async def deployment_metrics(call: Call) -> dict:
    call.scope(call.query("userId"))
    model = find_deployment(call)
    start, end = call.time_range(timedelta(hours=1))
    if model["status"] != MODEL_UP:
        return {"metrics": [{"name": name, "data": []} for name in DEPLOYMENT_METRICS]}
    return {"metrics": metric_series(DEPLOYMENT_METRICS, model["deploymentId"], start, end, _step(call))}


def write_live_logs(call: Call, model: dict) -> None:
    """Append the request lines a running deployment has written since the last look (when the
    emulator's `live_logs_every_s` is set); numbered, so no two lines are identical."""
    every = call.store.state.live_logs_every_s
    if not every or model["status"] != MODEL_UP:
        return
    logs = call.data.deployment_logs.setdefault(model["deploymentId"], [])
    moment = datetime.now(UTC)
    due = call.store.live_logs_due.setdefault(model["deploymentId"], moment + timedelta(seconds=every))
    written = 0
    while due <= moment and written < MAX_LIVE_LINES:
        number = call.store.live_log_seq = call.store.live_log_seq + 1
        text = (
            f'INFO: 10.0.0.{2 + number % 240} - "POST /v1/chat/completions HTTP/1.1" 200 OK (live #{number})'
        )
        logs.append({"timestamp": rfc3339(due), "message": text})
        due += timedelta(seconds=every)
        written += 1
    if due <= moment:  # still behind after the cap: skip the backlog
        due = moment + timedelta(seconds=every)
    call.store.live_logs_due[model["deploymentId"]] = due


async def deployment_logs(call: Call) -> dict:
    call.scope(call.query("userId"))
    model = find_deployment(call)
    write_live_logs(call, model)
    logs = call.data.deployment_logs.get(model["deploymentId"], [])
    if call.query("startTime") or call.query("endTime"):
        start, end = call.time_range(timedelta(days=36500))
        logs = [entry for entry in logs if start <= parse_time(entry["timestamp"]) <= end]
    limit = call.integer("limit", 100, high=5000)
    direction = enum_value(call.query("direction") or "UNSPECIFIED", "LOG_DIRECTION_")
    if direction == "LOG_DIRECTION_BACKWARD":
        return {"logs": list(reversed(logs))[:limit]}
    if direction == "LOG_DIRECTION_FORWARD":
        return {"logs": logs[:limit]}
    return {"logs": logs[-limit:]}  # unspecified: the most recent lines, oldest first


ROUTES: Routes = (
    ("GET", "/v1/observability/users/metrics", user_metrics),
    ("GET", "/v1/observability/deployments/{deploymentId}/metrics", deployment_metrics),
    ("GET", "/v1/observability/deployments/{deploymentId}/logs", deployment_logs),
)
