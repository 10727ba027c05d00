"""The browser login flow of reference §7.3: CLI codes, the approval page, and the tokens it issues.

`tm auth login` POSTs /auth/cli/start, shows `auth_url` to a human, and polls /auth/cli/exchange with
the secret `cli_code` until the page's Approve button is pressed. The page knows the session only by
a short user code, so the URL in a terminal never reveals the secret the CLI polls with.

This module holds the logic and the HTML; control_plane/cli_login.py maps it onto HTTP. `clock` is an
attribute so tests can move time forward instead of sleeping.
"""

from __future__ import annotations

import enum
import html
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from tm_tui.emulator.state import DEMO_CONTROL_PLANE_TOKEN, DEMO_REFRESH_TOKEN, EmulatorState

POLL_INTERVAL_S = 2
_USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


class Outcome(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass
class LoginSession:
    cli_code: str
    user_code: str
    started_at: float
    outcome: Outcome = Outcome.PENDING


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int

    def body(self) -> dict:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }


class LoginFlow:
    def __init__(self, state: EmulatorState, clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self.clock = clock
        self._sessions: dict[str, LoginSession] = {}  # by cli_code
        self._access: dict[str, tuple[str, float]] = {}  # token -> (user id, expires at)
        self._refresh: dict[str, str] = {}  # token -> user id

    # ---- sessions ----

    def start(self) -> LoginSession:
        session = LoginSession(
            cli_code=f"cli_{secrets.token_urlsafe(24)}",
            user_code="-".join(
                "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(4)) for _ in range(2)
            ),
            started_at=self.clock(),
        )
        self._sessions[session.cli_code] = session
        return session

    def by_user_code(self, user_code: str) -> LoginSession | None:
        session = next((s for s in self._sessions.values() if s.user_code == user_code.strip().upper()), None)
        return session if session and self._refresh_outcome(session) is not Outcome.EXPIRED else None

    def approve(self, cli_code: str) -> bool:
        """Approve a pending login (the page's button, or a test). False if it cannot be approved."""
        return self._decide(cli_code, Outcome.APPROVED)

    def deny(self, cli_code: str) -> bool:
        return self._decide(cli_code, Outcome.DENIED)

    def _decide(self, cli_code: str, outcome: Outcome) -> bool:
        session = self._sessions.get(cli_code)
        if session is None or self._refresh_outcome(session) is not Outcome.PENDING:
            return False
        session.outcome = outcome
        return True

    def _refresh_outcome(self, session: LoginSession) -> Outcome:
        """Apply the passage of time: demo auto-approval first, then expiry of undecided codes."""
        age = self.clock() - session.started_at
        auto = self.state.auto_approve_login_after_s
        if session.outcome is Outcome.PENDING:
            if age >= self.state.login_code_ttl_s:
                session.outcome = Outcome.EXPIRED
            elif auto is not None and age >= auto:
                session.outcome = Outcome.APPROVED
        return session.outcome

    def exchange(self, cli_code: str) -> tuple[Outcome, Tokens | None]:
        """One poll of the CLI. Tokens are handed out once; the code is forgotten afterwards."""
        session = self._sessions.get(cli_code)
        if session is None:
            return Outcome.UNKNOWN, None
        outcome = self._refresh_outcome(session)
        if outcome is Outcome.APPROVED:
            del self._sessions[cli_code]
            return outcome, self._issue(self.state.user_id)
        return outcome, None

    # ---- tokens ----

    def _issue(self, user_id: str) -> Tokens:
        ttl = self.state.access_token_ttl_s
        access, refresh = f"tmcp_{secrets.token_urlsafe(32)}", f"tmrt_{secrets.token_urlsafe(32)}"
        self._access[access] = (user_id, self.clock() + ttl)
        self._refresh[refresh] = user_id
        return Tokens(access, refresh, int(ttl))

    def refresh(self, refresh_token: str) -> Tokens | None:
        """Rotate: the old refresh token stops working and a new pair is returned (the CLI stores it)."""
        if secrets.compare_digest(refresh_token, DEMO_REFRESH_TOKEN):
            return self._issue(self.state.user_id)
        user_id = self._refresh.pop(refresh_token, None)
        return self._issue(user_id) if user_id else None

    def end_sessions(self) -> None:
        """Every issued access and refresh token stops working (a server-side sign-out)."""
        self._access.clear()
        self._refresh.clear()

    def user_for_token(self, token: str) -> str | None:
        """The user a bearer token belongs to, or None when it is unknown or expired."""
        if secrets.compare_digest(token, DEMO_CONTROL_PLANE_TOKEN):
            return self.state.user_id
        entry = self._access.get(token)
        if entry is None or self.clock() >= entry[1]:
            return None
        return entry[0]


# ---- the approval page ----

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tensormesh emulator — {title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1d2330}}
code{{font-size:1.6rem;letter-spacing:.2rem;background:#eef1f6;padding:.2rem .6rem;border-radius:.3rem}}
button{{font-size:1rem;padding:.6rem 1.4rem;margin-right:.8rem;border-radius:.3rem;border:1px solid #888;cursor:pointer}}
button[value=approve]{{background:#1f6feb;color:#fff;border-color:#1f6feb}}
</style></head><body>
<h1>{title}</h1>
{body}
<p><small>Local Tensormesh emulator — no real account is involved.</small></p>
</body></html>
"""


def render_approval_page(user_code: str, email: str) -> str:
    code = html.escape(user_code)
    body = f"""<p>A command-line tool is asking to sign in as <strong>{html.escape(email)}</strong>.</p>
<p>Check that your terminal shows this code:</p><p><code>{code}</code></p>
<form method="post" action="/cli-login">
<input type="hidden" name="code" value="{code}">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>"""
    return _PAGE.format(title="Approve CLI sign-in", body=body)


def render_result_page(title: str, message: str) -> str:
    return _PAGE.format(title=html.escape(title), body=f"<p>{html.escape(message)}</p>")
