import json
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.config.helpers import Dirs, write
from tests.shared_api import EXAMPLES
from tm_tui.config.errors import ConfigFileError
from tm_tui.config.tm_cli_files import (
    delete_tm_auth,
    read_tm_auth,
    read_tm_config,
    write_tm_auth,
    write_tm_overrides,
)

EXAMPLE_CONFIG = EXAMPLES / "cli" / "config.toml.txt"
TM = Path(sys.executable).parent / "tm"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.payload-abcdef.sig-123456"


def test_reads_the_reference_example(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", EXAMPLE_CONFIG.read_text())
    config = read_tm_config(path)
    assert config.exists and not config.problems
    assert config.controlplane_base == "https://api.tensormesh.ai"
    assert config.timeout_seconds == 30.0 and config.max_retries == 0
    assert config.ca_bundle == "~/.config/tensormesh/ca-bundle.pem"
    # [overrides] wins over [managed] key by key
    assert (
        config.gateway_api_key is not None and config.gateway_api_key.reveal() == "tmk_live_5e6f7a8b9c0d1e2f"
    )
    assert config.sections["gateway_api_key"] == "overrides"
    assert config.gateway_provider == "nebius" and config.sections["gateway_provider"] == "managed"
    assert config.gateway_user_id == "3f8e2a4c-1b2d-4e5f-8a9b-0c1d2e3f4a5b"
    assert config.gateway_model_id == "ada-llama-8b"


def test_missing_file_is_empty_not_an_error(tmp_path: Path) -> None:
    config = read_tm_config(tmp_path / "config.toml")
    assert not config.exists and config.gateway_api_key is None


def test_top_level_gateway_keys_are_ignored(tmp_path: Path) -> None:
    path = write(
        tmp_path / "config.toml",
        'gateway_api_key = "top-level-key-123"\ngateway_provider = "yotta"\n[managed]\ngateway_model_id = "m"\n',
    )
    config = read_tm_config(path)
    assert config.gateway_api_key is None and config.gateway_provider is None
    assert config.gateway_model_id == "m"


def test_provider_in_file_is_case_insensitive(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", '[overrides]\ngateway_provider = " Lambda "\n')
    assert read_tm_config(path).gateway_provider == "lambda"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("timeout_seconds = [1", "invalid TOML"),
        ('profile = "work"\n', "key 'profile' is not allowed"),
        ("[profiles.work]\nmax_retries = 1\n", "key 'profiles' is not allowed"),
        ('controlplane_auth_json = "/x"\n', "controlplane_auth_json"),
        ('managed = "x"\n', "[managed] must be a TOML table"),
    ],
)
def test_unusable_config_files_raise_a_readable_error(tmp_path: Path, text: str, reason: str) -> None:
    path = write(tmp_path / "config.toml", text)
    with pytest.raises(ConfigFileError) as info:
        read_tm_config(path)
    assert str(path) in str(info.value) and reason in str(info.value)
    assert "\n" not in str(info.value)


def test_wrong_types_become_per_key_problems_without_values(tmp_path: Path) -> None:
    path = write(
        tmp_path / "config.toml",
        'timeout_seconds = "soon"\nmax_retries = -1\ncontrolplane_base = "api.example"\n'
        '[overrides]\ngateway_api_key = 12345678901\ngateway_provider = "aws"\n'
        '[managed]\ngateway_provider = "yotta"\n',
    )
    config = read_tm_config(path)
    reasons = [str(p) for p in config.problems]
    assert len(reasons) == 5 and all(r.startswith(f"{path}: ") for r in reasons)
    assert any("timeout_seconds: expected a number > 0, got string" in r for r in reasons)
    assert any("[overrides].gateway_api_key: expected a string, got integer" in r for r in reasons)
    assert not any("12345678901" in r or "soon" in r for r in reasons)
    # an invalid override falls back to the [managed] value
    assert config.gateway_provider == "yotta" and config.sections["gateway_provider"] == "managed"
    assert config.timeout_seconds is None and config.gateway_api_key is None


def test_read_auth_json_keeps_other_keys(tmp_path: Path) -> None:
    path = write(tmp_path / "auth.json", json.dumps({"access_token": TOKEN, "expires_in": 3600}))
    auth = read_tm_auth(path)
    assert auth is not None and auth.access_token.reveal() == TOKEN and auth.refresh_token is None
    assert auth.data["expires_in"] == 3600
    assert TOKEN not in repr(auth)
    assert read_tm_auth(tmp_path / "missing.json") is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "invalid JSON"),
        ('["a"]', "expected a JSON object"),
        ("{}", "missing or invalid 'access_token'"),
        ('{"access_token": "  "}', "missing or invalid 'access_token'"),
        ('{"access_token": 5}', "missing or invalid 'access_token'"),
        ('{"access_token": "abcdefghijk", "refresh_token": 1}', "'refresh_token' must be a string"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_broken_auth_json_is_a_readable_error(tmp_path: Path, content: str | bytes, reason: str) -> None:
    path = tmp_path / "auth.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ConfigFileError) as info:
        read_tm_auth(path)
    assert str(info.value).startswith(f"{path}: ") and reason in str(info.value)
    assert "abcdefghijk" not in str(info.value)


def test_directory_and_permission_problems_are_readable(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "auth.json").mkdir()
    with pytest.raises(ConfigFileError, match="is a directory"):
        read_tm_auth(tmp_path / "auth.json")

    path = write(tmp_path / "config.toml", "")

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(ConfigFileError, match="config.toml: permission denied"):
        read_tm_config(path)


def test_write_auth_json_verbatim_0600(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "auth.json"
    body = {"access_token": TOKEN, "refresh_token": "rt_3c9d1e7f2a", "token_type": "Bearer"}
    write_tm_auth(path, body)
    assert json.loads(path.read_text()) == body
    assert path.read_text() == json.dumps(body, indent=2) + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_tm_auth(path).refresh_token.reveal() == "rt_3c9d1e7f2a"  # type: ignore[union-attr]


def test_write_auth_refuses_a_body_without_token_and_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    with pytest.raises(ConfigFileError, match="no usable 'access_token'"):
        write_tm_auth(path, {"refresh_token": "x"})
    assert not path.exists()
    path.write_text("{broken")
    with pytest.raises(ConfigFileError, match="not overwritten"):
        write_tm_auth(path, {"access_token": TOKEN})
    assert path.read_text() == "{broken"
    assert delete_tm_auth(path) and not path.exists() and not delete_tm_auth(path)


def tm(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENSORMESH_", "TM_"))}
    env.update(HOME=str(home), TM_CONFIG_HOME=str(home / "tm"))
    return subprocess.run([str(TM), *args], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_real_tm_cli_reads_what_we_write(dirs: Dirs, tmp_path: Path) -> None:
    tm_root = tmp_path / "tm"
    before = tm(tmp_path, "auth", "status")
    assert before.returncode == 0 and "token=missing" in before.stdout

    write_tm_auth(tm_root / "auth.json", {"access_token": TOKEN, "refresh_token": "rt_3c9d1e7f2a"})
    write_tm_overrides(tm_root / "config.toml", {"gateway_api_key": "tmk_live_5e6f7a8b9c0d1e2f"})

    status = tm(tmp_path, "auth", "status")
    assert status.returncode == 0, status.stderr
    assert "token=present" in status.stdout and "api_key=present" in status.stdout
    printed = tm(tmp_path, "auth", "print-token", "--yes-i-know")
    assert printed.returncode == 0 and printed.stdout.strip() == TOKEN
    shown = tm(tmp_path, "--output", "json", "config", "show")
    assert shown.returncode == 0, shown.stderr
    assert "tmk_...1e2f" in shown.stdout  # the CLI masks with ASCII dots; tm-tui uses "…"


def test_overrides_edit_keeps_comments_and_other_content(tmp_path: Path) -> None:
    original = EXAMPLE_CONFIG.read_text()
    path = write(tmp_path / "config.toml", original)
    write_tm_overrides(path, {"gateway_api_key": "tmk_new_0000111122223333", "gateway_user_id": "u-1"})
    text = path.read_text()
    assert text.startswith("# Tensormesh CLI config (TOML)\n")  # comments survive
    data = tomllib.loads(text)
    before = tomllib.loads(original)
    assert data["managed"] == before["managed"] and data["timeout_seconds"] == 30
    assert data["overrides"] == {"gateway_api_key": "tmk_new_0000111122223333", "gateway_user_id": "u-1"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    write_tm_overrides(path, {"gateway_user_id": None})
    assert tomllib.loads(path.read_text())["overrides"] == {"gateway_api_key": "tmk_new_0000111122223333"}


def test_overrides_table_is_added_when_missing_and_file_created_when_absent(tmp_path: Path) -> None:
    path = write(
        tmp_path / "config.toml", "# mine\nmax_retries = 2\n[managed]\ngateway_provider = 'lambda'\n"
    )
    write_tm_overrides(path, {"gateway_provider": "yotta"})
    assert path.read_text().startswith("# mine\n")
    data = tomllib.loads(path.read_text())
    assert (
        data["overrides"] == {"gateway_provider": "yotta"} and data["managed"]["gateway_provider"] == "lambda"
    )

    fresh = tmp_path / "new" / "config.toml"
    write_tm_overrides(fresh, {"gateway_api_key": 'quote"and\\slash'})
    assert tomllib.loads(fresh.read_text()) == {"overrides": {"gateway_api_key": 'quote"and\\slash'}}


def test_unusual_layout_falls_back_to_a_correct_rewrite(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", 'overrides = { gateway_model_id = "m" }\nmax_retries = 1\n')
    write_tm_overrides(path, {"gateway_api_key": "k-123456789"})
    assert tomllib.loads(path.read_text()) == {
        "max_retries": 1,
        "overrides": {"gateway_model_id": "m", "gateway_api_key": "k-123456789"},
    }


@pytest.mark.parametrize("text", ["max_retries = [", 'overrides = "x"\n', "\xff"])
def test_overrides_never_clobber_an_unparseable_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "config.toml", text)
    with pytest.raises(ConfigFileError) as info:
        write_tm_overrides(path, {"gateway_api_key": "tmk_live_5e6f7a8b9c0d1e2f"})
    assert str(path) in str(info.value) and "tmk_live" not in str(info.value)
    assert path.read_text() == text


def test_overrides_reject_unknown_keys(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not \\[overrides\\] keys"):
        write_tm_overrides(tmp_path / "config.toml", {"timeout_seconds": "3"})
