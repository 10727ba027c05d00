"""Run the emulator's three listeners (serverless, on-demand, control plane) on 127.0.0.1.

`run_emulator()` is a synchronous context manager: uvicorn serves all three apps from one event loop in
a background thread, so tests, benchmarks and `tm-tui --demo` can use it from any thread.

Sockets are bound and listening before uvicorn starts, so the URLs are known (and connectable) at
once even with port 0; start-up waits only for uvicorn to accept on them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import uvicorn

from tm_tui.emulator.control_plane import ControlPlaneStore, build_control_plane_app
from tm_tui.emulator.faults import parse_fault
from tm_tui.emulator.inference_app import build_inference_app
from tm_tui.emulator.seed import build_seed
from tm_tui.emulator.state import (
    DEMO_CONTROL_PLANE_TOKEN,
    DEMO_DEPLOYMENT_KEY,
    DEMO_INFERENCE_KEY,
    DEMO_REFRESH_TOKEN,
    EmulatorState,
    Pacing,
)

SURFACES = ("serverless", "on_demand", "control_plane")
# Bound how long a stop waits for open streams before closing them.
_GRACEFUL_SHUTDOWN_S = 1


@dataclass(frozen=True)
class RunningEmulator:
    serverless_base_url: str
    on_demand_base_url: str
    control_plane_base_url: str
    inference_api_key: str
    on_demand_user_id: str
    control_plane_token: str
    # The on-demand deployments' own key (what `tm init --sync` would store); inference_api_key works too.
    deployment_api_key: str
    state: EmulatorState
    control_plane: ControlPlaneStore

    def credentials(self) -> dict[str, str]:
        """The URLs and credentials, as `python -m tm_tui.emulator --json` prints them."""
        return {
            "serverless_base_url": self.serverless_base_url,
            "on_demand_base_url": self.on_demand_base_url,
            "control_plane_base_url": self.control_plane_base_url,
            "inference_api_key": self.inference_api_key,
            "on_demand_user_id": self.on_demand_user_id,
            "control_plane_token": self.control_plane_token,
            "refresh_token": DEMO_REFRESH_TOKEN,
        }

    def sdk_env(self) -> dict[str, str]:
        """Environment variables that point the official SDK at this emulator (reference §1.2)."""
        return {
            "TENSORMESH_SERVERLESS_BASE_URL": self.serverless_base_url,
            "TENSORMESH_ON_DEMAND_BASE_URL": self.on_demand_base_url,
            "TENSORMESH_CONTROL_PLANE_BASE_URL": self.control_plane_base_url,
            "TENSORMESH_INFERENCE_API_KEY": self.inference_api_key,
            "TENSORMESH_ON_DEMAND_USER_ID": self.on_demand_user_id,
            "TENSORMESH_CONTROL_PLANE_TOKEN": self.control_plane_token,
        }


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class _Listeners:
    """Three bound sockets and the uvicorn servers that will serve them."""

    def __init__(
        self,
        state: EmulatorState,
        host: str,
        ports: dict[str, int],
        now: datetime | None,
        transactions: int | None = None,
        tickets: int | None = None,
    ) -> None:
        seed = build_seed(state.user_id, now=now, transactions=transactions, tickets=tickets)
        store = ControlPlaneStore(state, seed)
        apps: dict[str, Any] = {
            "serverless": build_inference_app(state, surface="serverless"),
            "on_demand": build_inference_app(state, surface="on_demand"),
            "control_plane": build_control_plane_app(store),
        }
        self.sockets: dict[str, socket.socket] = {}
        try:
            for surface in SURFACES:
                self.sockets[surface] = _bind(host, ports.get(surface, 0))
        except OSError:
            self.close()
            raise
        self.servers = [
            uvicorn.Server(
                uvicorn.Config(
                    apps[surface],
                    lifespan="off",
                    log_config=None,
                    log_level=logging.WARNING,
                    access_log=False,
                    timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
                )
            )
            for surface in SURFACES
        ]
        urls = {s: f"http://{host}:{sock.getsockname()[1]}" for s, sock in self.sockets.items()}
        self.running = RunningEmulator(
            serverless_base_url=urls["serverless"],
            on_demand_base_url=urls["on_demand"],
            control_plane_base_url=urls["control_plane"],
            inference_api_key=DEMO_INFERENCE_KEY,
            on_demand_user_id=state.user_id,
            control_plane_token=DEMO_CONTROL_PLANE_TOKEN,
            deployment_api_key=DEMO_DEPLOYMENT_KEY,
            state=state,
            control_plane=store,
        )

    async def serve(self, ready: asyncio.Event | threading.Event) -> None:
        tasks = [
            asyncio.create_task(server.serve(sockets=[sock]))
            for server, sock in zip(self.servers, self.sockets.values(), strict=True)
        ]
        # uvicorn exposes no start-up event; `started` flips within a loop iteration or two.
        while not all(server.started for server in self.servers):
            if any(task.done() for task in tasks):
                break
            await asyncio.sleep(0.001)
        ready.set()
        await asyncio.gather(*tasks)

    def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True

    def failed(self) -> bool:
        return not all(server.started for server in self.servers)

    def close(self) -> None:
        for sock in self.sockets.values():
            sock.close()


def _state(state: EmulatorState | None) -> EmulatorState:
    return state if state is not None else EmulatorState()


@contextmanager
def run_emulator(
    state: EmulatorState | None = None,
    *,
    host: str = "127.0.0.1",
    serverless_port: int = 0,
    on_demand_port: int = 0,
    control_plane_port: int = 0,
    now: datetime | None = None,
    transactions: int | None = None,
    tickets: int | None = None,
) -> Iterator[RunningEmulator]:
    """Serve the emulator from a background thread for the duration of the `with` block.

    Ports default to free ones; `now` pins the seeded data's dates (default: the real time);
    `transactions` / `tickets` pad the billing ledger / the support tickets to that many entries
    (paging benchmarks).
    """
    ports = {"serverless": serverless_port, "on_demand": on_demand_port, "control_plane": control_plane_port}
    listeners = _Listeners(_state(state), host, ports, now, transactions, tickets)
    ready = threading.Event()
    errors: list[BaseException] = []

    def thread_main() -> None:
        try:
            asyncio.run(listeners.serve(ready))
        except BaseException as exc:  # reported to the caller below
            errors.append(exc)
            ready.set()

    thread = threading.Thread(target=thread_main, name="tm-emulator", daemon=True)
    thread.start()
    ready.wait()
    try:
        if errors or listeners.failed():
            raise RuntimeError("emulator failed to start") from (errors[0] if errors else None)
        yield listeners.running
    finally:
        listeners.stop()
        thread.join()
        listeners.close()


# ---------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tm_tui.emulator",
        description="Run a local Tensormesh emulator (serverless, on-demand and control plane) until Ctrl+C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--serverless-port", type=int, default=0, metavar="PORT", help="default: a free port")
    parser.add_argument("--on-demand-port", type=int, default=0, metavar="PORT", help="default: a free port")
    parser.add_argument(
        "--control-plane-port", type=int, default=0, metavar="PORT", help="default: a free port"
    )
    pacing = Pacing()
    parser.add_argument(
        "--ttft", type=float, default=pacing.ttft_s, metavar="SECONDS", help="time to first token"
    )
    parser.add_argument(
        "--tokens-per-s", type=float, default=pacing.tokens_per_s, metavar="N", help="stream speed"
    )
    parser.add_argument("--unthrottled", action="store_true", help="stream as fast as possible")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="inject a fault (repeatable), e.g. "
        "'status=503,retry_after=2@serverless:/v1/chat/completions#times=1'",
    )
    parser.add_argument(
        "--auto-approve",
        type=float,
        default=None,
        metavar="SECONDS",
        help="approve browser logins by themselves after SECONDS (demo mode)",
    )
    parser.add_argument(
        "--transactions",
        type=int,
        default=None,
        metavar="N",
        help="pad the billing ledger with archived entries to N transactions (paging at scale)",
    )
    parser.add_argument(
        "--tickets",
        type=int,
        default=None,
        metavar="N",
        help="pad the support tickets with older closed ones to N tickets (paging at scale)",
    )
    parser.add_argument("--json", action="store_true", help="print URLs and credentials as one JSON line")
    return parser


def _state_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> EmulatorState:
    if args.ttft < 0 or args.tokens_per_s <= 0:
        parser.error("--ttft must be >= 0 and --tokens-per-s > 0")
    if args.auto_approve is not None and args.auto_approve < 0:
        parser.error("--auto-approve must be >= 0")
    state = EmulatorState(
        pacing=Pacing(ttft_s=args.ttft, tokens_per_s=args.tokens_per_s, unthrottled=args.unthrottled),
        auto_approve_login_after_s=args.auto_approve,
    )
    for spec in args.fault:
        try:
            state.faults.add(parse_fault(spec))
        except ValueError as exc:
            parser.error(f"--fault {spec!r}: {exc}")
    return state


def describe(emulator: RunningEmulator) -> str:
    """Human-readable URLs, credentials and ready-to-paste exports (the credentials are demo values)."""
    env = emulator.sdk_env()
    cp, serverless = emulator.control_plane_base_url, emulator.serverless_base_url
    lines = [
        "Tensormesh emulator running (Ctrl+C to stop)",
        f"  serverless     {serverless}",
        f"  on-demand      {emulator.on_demand_base_url}   (X-User-Id: {emulator.on_demand_user_id})",
        f"  control plane  {cp}",
        f"  inference key  {emulator.inference_api_key}",
        f"  cp token       {emulator.control_plane_token}",
        "",
        "# official SDK (tensormesh):",
        *(f"export {name}={value}" for name, value in env.items()),
        "export TENSORMESH_ENABLE_ON_DEMAND=1",
        "# openai package:",
        f"export OPENAI_BASE_URL={serverless}/v1",
        f"export OPENAI_API_KEY={emulator.inference_api_key}",
        "# tm CLI (reads the control-plane URL above but no credential variables; pass flags):",
        "tm auth login --no-open-browser",
        f"tm infer chat --base-url {serverless} --api-key {emulator.inference_api_key} --model <model> --stream",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m tm_tui.emulator` and `tm-tui emulator`. Returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    state = _state_from_args(args, parser)
    stop = threading.Event()
    # Ctrl+C and SIGTERM both end the `with` block below, so the listeners close cleanly.
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with run_emulator(
            state,
            host=args.host,
            serverless_port=args.serverless_port,
            on_demand_port=args.on_demand_port,
            control_plane_port=args.control_plane_port,
            transactions=args.transactions,
            tickets=args.tickets,
        ) as emulator:
            text = json.dumps(emulator.credentials()) if args.json else describe(emulator)
            print(text, flush=True)
            stop.wait()
    except OSError as exc:
        print(f"emulator: cannot listen: {exc}", file=sys.stderr)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
