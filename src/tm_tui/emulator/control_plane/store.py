"""The control plane's mutable world (seeded data plus the login flow) and its bearer-token check."""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

from starlette.requests import Request

from tm_tui.emulator.control_plane.errors import ApiError
from tm_tui.emulator.control_plane.times import now, parse_time
from tm_tui.emulator.http_common import bearer_token
from tm_tui.emulator.login_page import LoginFlow
from tm_tui.emulator.seed import SeedData, activity_record, money, rfc3339
from tm_tui.emulator.state import EmulatorState


class ControlPlaneStore:
    """Seeded data plus the login flow. Tests poke it directly."""

    def __init__(self, state: EmulatorState, data: SeedData) -> None:
        self.state = state
        self.data = data
        self.login = LoginFlow(state)
        self._activity_seq = len(data.activities)
        self.payment_intents: dict[str, Decimal] = {}
        # Live deployment logs (`EmulatorState.live_logs_every_s`): when each one writes next.
        self.live_logs_due: dict[str, datetime] = {}
        self.live_log_seq = 0
        # Active, unexpired seeded keys work for inference exactly like keys created later.
        for key in data.api_keys:
            if "deletedAt" not in key and parse_time(key["expiresAt"]) > data.now:
                state.inference_keys.add(key["id"])

    def authenticate(self, request: Request) -> str:
        """The id of the user whose bearer token the request carries."""
        token = bearer_token(request.headers)
        if token is None:
            raise ApiError(401, "missing bearer token")
        user_id = self.login.user_for_token(token)
        if user_id is None:
            raise ApiError(401, "invalid or expired token")
        return user_id

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
            f"act_{self._activity_seq:05d}", user_id, action, resource_type, resource_id, text, now()
        )
        self.data.activities.insert(0, record)

    def add_ledger_entry(
        self, user_id: str, amount: Decimal, kind: str, description: str, **extra: Any
    ) -> dict:
        self.data.balances[user_id] = self.data.balances.get(user_id, Decimal(0)) + amount
        entry = {
            "transactionId": f"txn_{secrets.token_hex(6)}",
            "createdAt": rfc3339(now()),
            "amount": money(amount),
            "description": description,
            "status": "TRANSACTION_STATUS_SUCCEEDED",
            "type": kind,
            **extra,
        }
        if user_id == self.state.user_id:
            self.data.transactions.insert(0, entry)
        return entry
