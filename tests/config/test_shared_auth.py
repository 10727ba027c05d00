"""auth.json shared with the `tm` CLI: tm-tui and the CLI writing it at the same moment never leave a
torn file, and a token the CLI refreshed is adopted rather than lost.

Both tools write with a same-directory temp file and one `os.replace` (the CLI's
`tensormesh_cli.auth.storage.save_tokens` has no lock file), so every read sees one complete
version; the writers here are separate processes and the reader checks every read.
"""

from __future__ import annotations

import json
import multiprocessing
import stat
from pathlib import Path

from tensormesh_cli.auth.storage import save_tokens

from tm_tui.config import resolve_settings
from tm_tui.config.settings import newer_shared_login
from tm_tui.config.tm_cli_files import read_tm_auth, write_tm_auth
from tm_tui.session import Session
from tm_tui.state import LaunchOptions, LoginState

WRITES = 300
PADDING = "x" * 4096  # several pages, so a non-atomic write would be seen half done


def version(writer: str, index: int) -> dict[str, str]:
    return {
        "access_token": f"{writer}-at-{index}",
        "refresh_token": f"{writer}-rt-{index}",
        "padding": PADDING,
    }


def _tui_writer(path: str) -> None:
    for index in range(WRITES):
        write_tm_auth(Path(path), version("tui", index))


def _cli_writer(path: str) -> None:
    for index in range(WRITES):
        save_tokens(Path(path), version("cli", index))


def test_tm_tui_and_the_tm_cli_writing_at_once_never_tear_the_file(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    write_tm_auth(path, version("tui", -1))
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=target, args=(str(path),)) for target in (_tui_writer, _cli_writer)]
    for writer in writers:
        writer.start()
    reads, seen = 0, set()
    try:
        while any(writer.is_alive() for writer in writers) or reads == 0:
            auth = read_tm_auth(path)  # raises ConfigFileError on a torn or empty file
            assert auth is not None
            writer_name, _, index = auth.access_token.reveal().partition("-at-")
            assert auth.data == version(writer_name, int(index))  # one complete version, never a mix
            seen.add(writer_name)
            reads += 1
    finally:
        for writer in writers:
            writer.join(timeout=60)
    assert [writer.exitcode for writer in writers] == [0, 0]
    final = json.loads(path.read_text())
    assert final in (version("tui", WRITES - 1), version("cli", WRITES - 1))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".auth.json.*"))  # no temp file left behind
    assert reads > 0 and seen


async def test_a_token_the_cli_refreshed_is_adopted_not_refreshed_again(emulator, monkeypatch, isolated_dirs):
    monkeypatch.setenv("TENSORMESH_CONTROL_PLANE_BASE_URL", emulator.control_plane_base_url)
    flow = emulator.control_plane.login
    code = flow.start().cli_code
    assert flow.approve(code)
    _, first = flow.exchange(code)
    auth = isolated_dirs["TM_CONFIG_HOME"] / "auth.json"
    save_tokens(auth, {"access_token": "tmcp_stale", "refresh_token": first.refresh_token})
    session = Session(resolve_settings(LaunchOptions()))
    try:
        # Meanwhile `tm` refreshes: the server rotates the refresh token tm-tui still holds.
        rotated = flow.refresh(first.refresh_token)
        assert rotated is not None
        cli_tokens = {"access_token": rotated.access_token, "refresh_token": rotated.refresh_token}
        save_tokens(auth, cli_tokens)

        user = await session.control_plane.profile()  # 401 → re-read auth.json → the CLI's token

        assert user.display_name == "Ada L."
        assert session.login_state == LoginState.LOGGED_IN
        assert json.loads(auth.read_text()) == cli_tokens  # nothing lost, nothing spent
        assert flow.refresh(rotated.refresh_token) is not None  # the CLI's refresh token still works
    finally:
        await session.aclose()


def test_newer_shared_login_only_for_tokens_from_auth_json(dirs, monkeypatch) -> None:
    write_tm_auth(dirs.tm_auth, {"access_token": "at-1"})
    settings = resolve_settings(LaunchOptions())
    assert newer_shared_login(settings, "at-1") is None  # unchanged
    write_tm_auth(dirs.tm_auth, {"access_token": "at-2", "refresh_token": "rt-2"})
    newer = newer_shared_login(settings, "at-1")
    assert newer is not None and newer.access_token.reveal() == "at-2"

    dirs.tm_auth.write_text("{torn")  # unusable now: keep refreshing the usual way
    assert newer_shared_login(settings, "at-1") is None

    monkeypatch.setenv("TENSORMESH_CONTROL_PLANE_TOKEN", "from-env")
    dirs.tm_auth.unlink()
    write_tm_auth(dirs.tm_auth, {"access_token": "at-3"})
    env_settings = resolve_settings(LaunchOptions())
    assert newer_shared_login(env_settings, "from-env") is None  # the env token is not auth.json's
