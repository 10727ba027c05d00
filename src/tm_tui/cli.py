"""The `tm-tui` command line.

Kept to the standard library on purpose: `--help` and `--version` must answer without importing
Textual, httpx or pydantic, and the app itself is imported only once we know we will run it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tm_tui import __version__
from tm_tui.surface import Surface

if TYPE_CHECKING:
    from tm_tui.state import LaunchOptions

DESCRIPTION = "Keyboard-first terminal app for the Tensormesh AI platform."

EPILOG = """\
sections:
  The app opens straight into its first section. Switch sections with the F-keys shown in the
  footer or with the command palette (ctrl+p, then type "Open <section>"). Press ? or F1 for the
  list of every key, ctrl+q to quit.

plain http:
  http:// base URLs are refused unless the host is this machine (localhost, 127.0.0.0/8, ::1):
  the API key and tokens would cross the network unencrypted. Use https://, or allow it with
  --allow-insecure-http or TM_TUI_ALLOW_INSECURE_HTTP=1.

demo mode:
  --demo starts a local Tensormesh emulator inside the app (127.0.0.1, random ports) and uses a
  "demo" profile pointing at it, already logged in with demo credentials. Nothing leaves the
  machine. `tm-tui emulator --help` runs the same emulator on its own.

credentials:
  Secrets are never taken on the command line. The inference API key comes from
  TENSORMESH_INFERENCE_API_KEY, tm-tui's config or the `tm` CLI's config.toml (gateway_api_key);
  the control-plane token from TENSORMESH_CONTROL_PLANE_TOKEN or a browser login (Account
  section, or `tm auth login`), stored in the `tm` CLI's auth.json.

precedence (highest first):
  flags > environment > tm-tui config (profiles) > `tm` CLI files > built-in defaults

environment:
  TENSORMESH_INFERENCE_API_KEY        inference API key (serverless and on-demand)
  TENSORMESH_CONTROL_PLANE_TOKEN      control-plane bearer token
  TENSORMESH_SERVERLESS_BASE_URL      default https://serverless.tensormesh.ai
  TENSORMESH_ON_DEMAND_BASE_URL       on-demand gateway base URL
  TENSORMESH_CONTROL_PLANE_BASE_URL   default https://api.tensormesh.ai
  TENSORMESH_ON_DEMAND_USER_ID        X-User-Id for on-demand calls (a UUID)
  TENSORMESH_TIMEOUT_SECONDS          request timeout, default 30
  TENSORMESH_CA_BUNDLE                PEM file to trust for TLS
  TM_TUI_ALLOW_INSECURE_HTTP=1        same as --allow-insecure-http
  TM_CONFIG_HOME                      the `tm` CLI's directory (default ~/.config/tensormesh)
  TM_TUI_CONFIG_DIR, TM_TUI_DATA_DIR  move tm-tui's own config / data directories

files:
  <tm-tui config dir>/config.toml     profiles and UI preferences (theme)
  <tm-tui data dir>/cache.json        last-known profile and model list, shown at start-up
  <tm-tui data dir>/errors.log        unexpected errors, for bug reports
  $TM_CONFIG_HOME/config.toml, auth.json   shared with the `tm` CLI
"""


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _surface(text: str) -> Surface:
    try:
        return Surface.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tm-tui",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="tm-tui [options]\n       tm-tui emulator [emulator options]",
    )
    parser.add_argument("--version", action="version", version=f"tm-tui {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="start the built-in emulator and use a demo profile"
    )
    parser.add_argument("--profile", metavar="NAME", help="tm-tui profile to use (see Settings)")
    parser.add_argument(
        "--surface",
        type=_surface,
        metavar="{" + ",".join(s.label for s in Surface) + "}",
        help="inference surface to start on",
    )
    parser.add_argument("--model", metavar="NAME", help="model to start with on that surface")
    urls = parser.add_argument_group("endpoints")
    urls.add_argument("--serverless-url", metavar="URL", help="serverless inference base URL")
    urls.add_argument("--on-demand-url", metavar="URL", help="on-demand (gateway) inference base URL")
    urls.add_argument("--control-plane-url", metavar="URL", help="control-plane base URL")
    urls.add_argument("--user-id", metavar="UUID", help="X-User-Id sent on on-demand calls")
    urls.add_argument(
        "--provider", metavar="NAME", help="on-demand gateway provider: nebius, lambda or yotta"
    )
    net = parser.add_argument_group("transport")
    net.add_argument("--timeout", metavar="SECONDS", type=_positive_float, help="request timeout")
    net.add_argument("--ca-bundle", metavar="PATH", help="PEM bundle to trust for TLS")
    net.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow plain http:// to hosts other than this machine (keys and tokens travel in clear)",
    )
    return parser


def parse_args(argv: Sequence[str]) -> LaunchOptions:
    ns = build_parser().parse_args(list(argv))
    from tm_tui.state import LaunchOptions  # after parsing: --help and --version exit before this

    return LaunchOptions(**vars(ns))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["emulator"]:
        from tm_tui.emulator.server import main as emulator_main

        return emulator_main(args[1:]) or 0
    options = parse_args(args)

    from tm_tui.app import TmApp

    app = TmApp(options)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
