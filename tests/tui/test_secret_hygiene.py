"""The inference key and control-plane tokens never reach an artifact: "View code" (until revealed),
chat and billing exports, screenshots, error panels and notifications, errors.log, the history
database — each path driven with the emulator's known secrets, then every file scanned; plus the
committed snapshots and screenshots. The whole suite's temp files are scanned at the end of the run
(`no_secret_left_behind` in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import respx

from tests.secret_scan import SECRETS, leaks_in, register, scan
from tm_tui.api.errors import AuthError, ServerError
from tm_tui.api.inference import make_inference_client
from tm_tui.api.transport import make_http_client
from tm_tui.screens.chat_export import ExportScreen, ViewCodeScreen
from tm_tui.surface import Surface
from tm_tui.widgets.error_panel import ErrorPanel

from .chat_helpers import PLAIN_MODEL, answers, open_chat, send, shown
from .helpers import SIZE, notifications, open_section, settle

REPO = Path(__file__).resolve().parents[2]
ECHOED = register("tmk_echoed_by_a_careless_server_0001")


def test_the_scanner_finds_what_it_looks_for(tmp_path):
    # A scan that cannot fail proves nothing: plant each kind of secret and expect it found.
    planted = tmp_path / "export.md"
    for secret in sorted(SECRETS):
        planted.write_text(f"text {secret} text")
        assert scan([tmp_path]) == {planted: leaks_in(planted.read_bytes())}
    planted.write_bytes(b"Bearer tmcp_" + b"A" * 43)  # an issued token, by its shape
    assert scan([tmp_path])
    planted.write_text("clean")
    (tmp_path / "auth.json").write_text(next(iter(SECRETS)))  # the credential store is exempt
    assert scan([tmp_path]) == {}


def test_committed_snapshots_and_screenshots_hold_no_secret():
    roots = [*REPO.glob("tests/**/__snapshots__"), REPO / "screenshots"]
    assert roots and all(root.exists() for root in roots)
    assert scan(roots) == {}


async def test_a_server_echoing_the_key_in_an_error_never_shows_it():
    with respx.mock(assert_all_mocked=True) as router:
        router.get("http://127.0.0.1:9/v1/models").respond(
            401, json={"error": {"message": f"Incorrect API key provided: {ECHOED}", "type": "auth"}}
        )
        http = make_http_client(timeout=5)
        try:
            client = make_inference_client(http, "http://127.0.0.1:9", ECHOED, Surface.SERVERLESS)
            try:
                await client.models()
            except AuthError as error:
                caught = error
        finally:
            await http.aclose()
    assert "Incorrect API key provided: [redacted]" in str(caught)
    assert ECHOED not in str(caught) and ECHOED not in repr(caught.body)


async def test_every_artifact_path_with_a_known_secret(emulator_env, make_app, isolated_dirs):
    key = emulator_env.inference_api_key
    assert key in SECRETS and emulator_env.control_plane_token in SECRETS
    emulator_env.state.faults.add("status=401@serverless:/v1/chat/completions#times=1")
    app = make_app(model=PLAIN_MODEL)
    data_dir = isolated_dirs["TM_TUI_DATA_DIR"]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "first try")  # 401 from the fault: an error panel in place
        panel = answers(screen)[0].query_one(ErrorPanel)
        assert panel.display and not leaks_in(shown(panel).encode())
        await send(pilot, "hello again")

        await pilot.press("ctrl+g")  # View code, not revealed
        await settle(pilot)
        assert isinstance(app.screen, ViewCodeScreen)
        for _ in range(3):  # curl and both Python snippets
            assert not leaks_in(app.screen.current_code()[1].encode())
            await pilot.press("right")
        app.action_screenshot()  # with the code on screen
        await pilot.press("escape")

        await pilot.press("ctrl+s")  # chat export, Markdown then JSON
        await settle(pilot)
        export = app.screen
        assert isinstance(export, ExportScreen)
        await pilot.press("enter")
        await settle(pilot)
        export.query_one("#export-format").value = "json"
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")

        async def a_bug_quoting_the_key() -> None:
            raise RuntimeError(f"request failed with key {key}")

        async def a_server_quoting_the_token() -> None:
            raise ServerError(f"token {emulator_env.control_plane_token} was refused", status=502)

        app.run_worker(a_bug_quoting_the_key())  # traceback to errors.log, message as a notification
        app.run_worker(a_server_quoting_the_token())
        await settle(pilot)
        assert (data_dir / "errors.log").read_text().count("request failed with key tmk_") == 1

        for section in ("account", "settings", "status", "billing"):
            await open_section(pilot, section)
            app.action_screenshot()
        await pilot.press("3")  # Billing's transactions, exported as CSV
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        shown_text = "\n".join(f"{title}: {message}" for title, message, _ in notifications(app))
    assert not leaks_in(shown_text.encode())
    written = {path.suffix for path in data_dir.rglob("*") if path.is_file()}
    assert {".svg", ".md", ".json", ".sqlite3", ".log"} <= written, written  # each path really wrote
    exports = sorted(path.name for path in (data_dir / "exports").iterdir())
    assert len(exports) == 3, exports  # chat Markdown, chat JSON, the billing export
    assert scan([isolated_dirs[name] for name in ("HOME", "TM_TUI_DATA_DIR", "TM_TUI_CONFIG_DIR")]) == {}
