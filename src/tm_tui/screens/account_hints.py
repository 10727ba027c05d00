"""What to tell the user when an Account request fails: one policy for every tab.

A 401 (after the session's own token refresh failed) leads to the login, which brings the user back
to the tab they were on; a 403 names the permission the account lacks; a network failure keeps
what was shown and offers a retry.
"""

from __future__ import annotations

LOGIN_AND_COME_BACK = "Press l to log in again: you come back here afterwards."
LOGIN_FROM_FORM = "Your login has expired: esc closes this form, then l logs in again."
RETRY = "What was shown is kept; r retries."


def explain(error: BaseException | None, doing: str) -> BaseException | None:
    """`error` with a hint for the Account section; `doing` completes "lacks the permission to …"."""
    from tm_tui.api.errors import AuthError, NetworkError, PermissionDenied

    if isinstance(error, AuthError):
        error.hint = LOGIN_AND_COME_BACK
    elif isinstance(error, PermissionDenied):
        error.hint = (
            f"Your account lacks the permission to {doing}; ask an administrator of your organisation."
        )
    elif isinstance(error, NetworkError):
        error.hint = f"{error.hint} {RETRY}".strip()
    return error


def in_form[E: BaseException](error: E, doing: str) -> E:
    """`explain` for a request sent from a form, where `l` would type into a field."""
    from tm_tui.api.errors import AuthError, NetworkError

    explain(error, doing)
    if isinstance(error, AuthError):
        error.hint = LOGIN_FROM_FORM
    elif isinstance(error, NetworkError):
        error.hint = error.hint.replace(RETRY, "Your input is kept; enter sends it again.")
    return error
