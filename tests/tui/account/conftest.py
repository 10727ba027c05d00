"""Fixtures of the Account tests: an emulator whose seeded dates are pinned to FROZEN_NOW, the Account
screen's clock pinned to the same instant, and apps pointed at that emulator."""

from __future__ import annotations

import pytest

from tm_tui.screens.account import AccountScreen

from ..chat_helpers import PLAIN_MODEL
from ..helpers import FROZEN_NOW, frozen_emulator


@pytest.fixture
def emulator():
    with frozen_emulator() as running:
        yield running


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(AccountScreen, "now", staticmethod(lambda: FROZEN_NOW))


@pytest.fixture
def app(emulator_env, make_app):
    """Every credential from the environment (the emulator's)."""
    return make_app()


@pytest.fixture
def app_without_key(emulator, make_app, monkeypatch):
    """Logged in to the control plane (token from the environment), no inference key yet."""
    monkeypatch.setenv("TENSORMESH_CONTROL_PLANE_TOKEN", emulator.control_plane_token)
    return make_app(
        control_plane_url=emulator.control_plane_base_url,
        serverless_url=emulator.serverless_base_url,
        on_demand_url=emulator.on_demand_base_url,
        model=PLAIN_MODEL,
    )
