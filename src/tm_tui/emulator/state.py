"""Mutable state shared by the emulator's three listeners (one instance per emulator)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tm_tui.emulator.faults import FaultRegistry
from tm_tui.emulator.stream_watch import StreamStats

DEMO_USER_ID = "3f8e2a4c-1b2d-4e5f-8a9b-0c1d2e3f4a5b"
DEMO_INFERENCE_KEY = "tmk_demo_5e6f7a8b9c0d1e2f"
DEMO_DEPLOYMENT_KEY = "sk-dep-demo-7c1e9a0b"
# Control-plane bearer that never expires (demo mode and tests); logins issue expiring tokens.
DEMO_CONTROL_PLANE_TOKEN = "tmcp_demo_4b7d1f0a9c2e"
# Its refresh token: always accepted (not rotated away), so every demo run can try a refresh.
DEMO_REFRESH_TOKEN = "tmrt_demo_8d2c6e1f3a5b"


@dataclass
class Pacing:
    """How fast generated text streams. `unthrottled` ignores both numbers (benchmarks)."""

    ttft_s: float = 0.35
    tokens_per_s: float = 60.0
    unthrottled: bool = False
    # Fraction of time-to-first-token saved when the prompt prefix is already in the KV cache.
    cache_ttft_factor: float = 0.3


@dataclass
class EmulatorState:
    user_id: str = DEMO_USER_ID
    # Bearer keys accepted by both inference surfaces. The control plane adds a key here when it
    # creates an API key and removes it on revoke, so the two halves agree like the real service.
    inference_keys: set[str] = field(default_factory=lambda: {DEMO_INFERENCE_KEY, DEMO_DEPLOYMENT_KEY})
    pacing: Pacing = field(default_factory=Pacing)
    access_token_ttl_s: float = 3600.0
    # Demo mode approves a started browser login by itself after this many seconds (None = never).
    auto_approve_login_after_s: float | None = None
    # How long a started browser login (its cli_code) stays usable.
    login_code_ttl_s: float = 600.0
    # A running deployment writes a new request log line this often (None = its logs stay as seeded),
    # so a client following the logs sees them grow (demo mode turns it on).
    live_logs_every_s: float | None = None
    # Faults armed for all three listeners (see faults.py); empty = a well-behaved service.
    faults: FaultRegistry = field(default_factory=FaultRegistry)
    # What the inference hosts saw of their event streams (open, finished, cut by the client).
    streams: StreamStats = field(default_factory=StreamStats)

    def is_valid_inference_key(self, key: str | None) -> bool:
        return bool(key) and key in self.inference_keys
