"""Show an error where it happened: what went wrong, in words, and what to do next.

`describe(error)` turns any exception into an `ErrorInfo` (title, message, hint) — typed API errors
keep their own message and hint; anything else gets a generic line and never a traceback.
`ErrorPanel` renders one. Server-sent text is untrusted, so it is shown as plain `Text` with control
characters neutralised (`text_safety.sanitize`), never parsed as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.text import Text
from textual.widgets import Static

from tm_tui.api.errors import (
    AuthError,
    ConfigError,
    NetworkError,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    ServerError,
    Timeout,
    TmError,
)
from tm_tui.config.errors import ConfigFileError, ProfileError
from tm_tui.config.secrets import scrub
from tm_tui.text_safety import sanitize

_TLS_MARKERS = ("ssl", "certificate", "tls")
TLS_HINT = (
    "The server's certificate is not trusted: check the URL, or pass --ca-bundle / TENSORMESH_CA_BUNDLE."
)


@dataclass(frozen=True)
class ErrorInfo:
    title: str
    message: str
    hint: str = ""
    expected: bool = True  # False: a bug, worth a traceback in the error log


def describe(error: BaseException) -> ErrorInfo:
    """Title, message and hint of any error; a credential in use never shows (see `scrub`)."""
    info = _describe(error)
    return replace(info, message=scrub(info.message), hint=scrub(info.hint))


def _describe(error: BaseException) -> ErrorInfo:

    if isinstance(error, ConfigFileError):
        return ErrorInfo(
            "Settings file problem", sanitize(str(error)), "Fix or remove the file, then reload."
        )
    if isinstance(error, ProfileError):
        return ErrorInfo("Not possible", sanitize(str(error)))
    if isinstance(error, OSError):
        return ErrorInfo("System error", sanitize(str(error)))
    if not isinstance(error, TmError):
        message = f"{type(error).__name__}: {sanitize(str(error))[:200]}"
        return ErrorInfo("Unexpected error", message, expected=False)
    message = sanitize(str(error))
    tls = any(marker in error.message.lower() for marker in _TLS_MARKERS)
    if tls and isinstance(error, NetworkError) and not isinstance(error, Timeout):
        return ErrorInfo("TLS failure", message, TLS_HINT)
    titles: tuple[tuple[type[TmError], str], ...] = (  # most specific first
        (Timeout, "Timed out"),
        (NetworkError, "Unreachable"),
        (AuthError, "Not authorised"),
        (PermissionDenied, "Permission denied"),
        (RateLimited, "Rate limited"),
        (ServerError, "Server error"),
        (ProtocolError, "Unexpected reply"),
        (ConfigError, "Not configured"),
    )
    title = next((name for cls, name in titles if isinstance(error, cls)), "Error")
    return ErrorInfo(title, message, sanitize(error.hint))


class ErrorPanel(Static):
    """A bordered block with an error's title, message and hint."""

    DEFAULT_CLASSES = "error-panel"

    def __init__(self, error: BaseException | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.info: ErrorInfo | None = None
        if error is not None:
            self.show_error(error)

    def show_error(self, error: BaseException) -> None:
        self.info = describe(error)
        text = Text(self.info.message)
        if self.info.hint:
            text.append("\n→ ").append(self.info.hint, "italic")
        self.border_title = self.info.title
        self.update(text)

    def show(self, error: BaseException | None) -> bool:
        """Show `error`, or hide the panel when there is none; True when an error is shown."""
        self.display = error is not None
        if error is not None:
            self.show_error(error)
        return error is not None
