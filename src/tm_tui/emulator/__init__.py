"""A standalone Tensormesh emulator: the inference and control-plane wire protocol on 127.0.0.1.

It implements `shared/api/TENSORMESH_API.md` independently of `tm_tui.api`. Start it with
`run_emulator()` (a context manager) or from a shell with `python -m tm_tui.emulator`.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tm_tui.emulator.server import RunningEmulator, main, run_emulator

__all__ = ["RunningEmulator", "main", "run_emulator"]


def __getattr__(name: str) -> Any:
    # Lazy, so importing `tm_tui.emulator.catalog` does not pull in uvicorn and starlette.
    if name in __all__:
        from tm_tui.emulator import server

        return getattr(server, name)
    raise AttributeError(name)
