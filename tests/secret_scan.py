"""The test secrets and a scanner for them in whatever the suite leaves behind.

`SECRETS` holds the emulator's demo credentials and any secret a test registers with `register`;
`TOKEN_PATTERNS` match the tokens the emulator issues at run time (login, refresh). The credential
stores themselves (`auth.json`, `credentials.json`, the `tm` CLI's `config.toml` with its
`gateway_api_key`) are where secrets belong and are not scanned; everything else — snapshots,
screenshots, exports, logs, the history database, any file a test wrote — must not hold one.
`tests/conftest.py` scans the session's temp dirs when the run ends; `test_secret_hygiene.py` scans
the committed artifacts and drives each path with a known secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from tm_tui.emulator.state import DEMO_CONTROL_PLANE_TOKEN, DEMO_INFERENCE_KEY, DEMO_REFRESH_TOKEN

SECRETS: set[str] = {DEMO_INFERENCE_KEY, DEMO_CONTROL_PLANE_TOKEN, DEMO_REFRESH_TOKEN}
# `secrets.token_urlsafe(32)` after the emulator's prefixes (tm_tui.emulator.login_page).
TOKEN_PATTERNS = (re.compile(rb"\btm(?:cp|rt)_[A-Za-z0-9_-]{43}"),)
CREDENTIAL_STORES = frozenset({"auth.json", "credentials.json"})
MAX_SCANNED_BYTES = 64 * 1024 * 1024


def register(secret: str) -> str:
    """Add a secret a test defines; returns it, so `KEY = register("...")` reads naturally."""
    SECRETS.add(secret)
    return secret


def _mask(found: bytes) -> str:
    text = found.decode("utf-8", "replace")
    return text[:6] + "…"


def leaks_in(data: bytes, extra: Iterable[str] = ()) -> list[str]:
    """Masked names of the secrets found in `data`."""
    found = [secret for secret in (*SECRETS, *extra) if secret.encode() in data]
    found += [match.group() for pattern in TOKEN_PATTERNS for match in pattern.finditer(data)]
    return sorted({_mask(item if isinstance(item, bytes) else item.encode()) for item in found})


def _is_credential_store(path: Path) -> bool:
    if path.name in CREDENTIAL_STORES or path.name.startswith((".auth.json.", ".credentials.json.")):
        return True
    # The tm CLI's config.toml keeps the inference key (`gateway_api_key`) by design.
    return path.name == "config.toml" and b"gateway_api_key" in _read(path)


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_SCANNED_BYTES)
    except OSError:
        return b""


def artifact_files(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        if root.is_file():
            yield root
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink() and not _is_credential_store(path):
                yield path


def scan(roots: Iterable[Path], extra: Iterable[str] = ()) -> dict[Path, list[str]]:
    """{file: masked secrets found} for every non-credential file under `roots`."""
    extra = tuple(extra)
    report = {}
    for path in artifact_files(roots):
        found = leaks_in(_read(path), extra)
        if found:
            report[path] = found
    return report
