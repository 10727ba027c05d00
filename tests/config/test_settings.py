import json
import os
import stat
import tomllib
from pathlib import Path

import pytest

from tests.config.helpers import Dirs, write
from tm_tui.config.errors import ConfigFileError
from tm_tui.config.profile_store import ProfileStore
from tm_tui.config.profiles import Profile, demo_profile
from tm_tui.config.settings import (
    ResolvedSettings,
    logout,
    resolve_settings,
    save_inference_key,
    save_login,
)
from tm_tui.config.tui_config import update_credentials
from tm_tui.state import LaunchOptions

USER_A = "3f8e2a4c-1b2d-4e5f-8a9b-0c1d2e3f4a5b"
USER_B = "11111111-2222-4333-8444-555555555555"
KEY_ENV = "tmk_env_0000000000000bbbb"
KEY_TUI = "tmk_tui_0000000000000cccc"
KEY_TM = "tmk_tm_00000000000000dddd"
TOKEN_TM = "eyJ.tm-auth-json-token.sig0"
REFRESH_TM = "rt_tm_refresh_secret_0001"
ALL_SECRETS = (KEY_ENV, KEY_TUI, KEY_TM, TOKEN_TM, REFRESH_TM)


def resolve(flags: LaunchOptions | None = None, **env: str) -> ResolvedSettings:
    return resolve_settings(flags or LaunchOptions(), {**os.environ, **env})


def write_tm_files(dirs: Dirs) -> None:
    write(
        dirs.tm_config,
        'controlplane_base = "https://cp.tm-file.example/"\ntimeout_seconds = 11\nmax_retries = 3\n'
        f'[managed]\ngateway_provider = "lambda"\ngateway_api_key = "managed-key-xxxxxxxx"\n'
        f'gateway_user_id = "{USER_B}"\ngateway_model_id = "managed-model"\n'
        f'[overrides]\ngateway_api_key = "{KEY_TM}"\n',
    )
    write(dirs.tm_auth, json.dumps({"access_token": TOKEN_TM, "refresh_token": REFRESH_TM}))


def customise_default(dirs: Dirs, **fields) -> None:
    ProfileStore(dirs.tui).update("default", **fields)


def test_defaults_with_nothing_configured(dirs: Dirs) -> None:
    s = resolve()
    assert not s.problems
    assert (s.control_plane_base_url.value, s.control_plane_base_url.source) == (
        "https://api.tensormesh.ai",
        "default",
    )
    assert s.serverless_base_url.value == "https://serverless.tensormesh.ai"
    assert s.on_demand_base_url.value == "https://external.nebius.tensormesh.ai"
    assert s.gateway_provider.value == "nebius" and s.surface.value == "serverless"
    assert (s.timeout.value, s.stream_idle_timeout.value, s.max_retries.value) == (30.0, 300.0, 0)
    assert s.inference_api_key.value is None and s.control_plane_token.value is None
    assert s.profile_name.value == "default" and s.profile_name.source == "default"
    assert not s.demo and not s.on_demand_enabled.value
    assert not dirs.tui.exists() and not dirs.tm.exists()  # resolving writes nothing


def test_tm_files_feed_the_default_profile(dirs: Dirs) -> None:
    write_tm_files(dirs)
    s = resolve()
    assert not s.problems
    assert s.control_plane_base_url.value == "https://cp.tm-file.example"
    assert (
        s.control_plane_base_url.source == "tm config.toml"
        and str(dirs.tm_config) in s.control_plane_base_url.origin
    )
    assert s.inference_api_key.value.reveal() == KEY_TM  # type: ignore[union-attr]
    assert s.inference_api_key.origin == f"{dirs.tm_config} [overrides]"
    assert (s.gateway_provider.value, s.gateway_provider.origin) == ("lambda", f"{dirs.tm_config} [managed]")
    assert s.on_demand_base_url.value == "https://external.lambda.tensormesh.ai"
    assert s.on_demand_base_url.source == "tm config.toml"
    assert s.on_demand_user_id.value == USER_B and s.on_demand_user_id.source == "tm config.toml"
    assert (s.timeout.value, s.max_retries.value) == (11.0, 3)
    assert s.control_plane_token.value.reveal() == TOKEN_TM  # type: ignore[union-attr]
    assert s.control_plane_token.source == "tm auth.json" and s.control_plane_token.origin == str(
        dirs.tm_auth
    )
    assert s.refresh_token.value.reveal() == REFRESH_TM  # type: ignore[union-attr]
    assert s.model.value is None  # the serverless surface has no tm model
    on_demand = resolve(LaunchOptions(surface="on-demand"))
    assert (on_demand.model.value, on_demand.model.source) == ("managed-model", "tm config.toml")


def test_each_layer_overrides_the_next(dirs: Dirs) -> None:
    write_tm_files(dirs)
    customise_default(
        dirs,
        control_plane_base_url="https://cp.tui.example",
        timeout_s=12,
        max_retries=4,
        on_demand_user_id=USER_A,
        gateway_provider="yotta",
    )
    update_credentials(dirs.tui, "default", {"inference_api_key": KEY_TUI})
    s = resolve()
    for resolved, value in (
        (s.control_plane_base_url, "https://cp.tui.example"),
        (s.timeout, 12.0),
        (s.max_retries, 4),
        (s.on_demand_user_id, USER_A),
        (s.gateway_provider, "yotta"),
    ):
        assert (resolved.value, resolved.source) == (value, "tm-tui config")
        assert str(dirs.tui_config) in resolved.origin
    assert s.inference_api_key.value.reveal() == KEY_TUI  # type: ignore[union-attr]
    assert (s.inference_api_key.source, s.inference_api_key.origin) == (
        "tm-tui config",
        str(dirs.credentials),
    )

    env = {
        "TENSORMESH_CONTROL_PLANE_BASE_URL": "https://cp.env.example",
        "TENSORMESH_TIMEOUT_SECONDS": "13",
        "TENSORMESH_MAX_RETRIES": "5",
        "TENSORMESH_ON_DEMAND_USER_ID": USER_B,
        "TENSORMESH_INFERENCE_API_KEY": KEY_ENV,
        "TENSORMESH_CONTROL_PLANE_TOKEN": "env-token-0123456789",
        "TENSORMESH_SERVERLESS_BASE_URL": "http://127.0.0.1:1",
        "TENSORMESH_ON_DEMAND_BASE_URL": "http://127.0.0.1:2",
    }
    s = resolve(**env)
    assert s.control_plane_base_url.value == "https://cp.env.example"
    assert (s.control_plane_base_url.source, s.control_plane_base_url.origin) == (
        "env",
        "TENSORMESH_CONTROL_PLANE_BASE_URL",
    )
    assert (s.timeout.value, s.max_retries.value, s.on_demand_user_id.value) == (13.0, 5, USER_B)
    assert s.inference_api_key.value.reveal() == KEY_ENV and s.inference_api_key.source == "env"  # type: ignore[union-attr]
    assert s.control_plane_token.source == "env" and s.refresh_token.value is None
    assert (s.serverless_base_url.value, s.on_demand_base_url.value) == (
        "http://127.0.0.1:1",
        "http://127.0.0.1:2",
    )
    assert s.on_demand_base_url.source == "env"

    flags = LaunchOptions(
        control_plane_url="https://cp.flag.example",
        timeout=14,
        user_id=USER_A,
        on_demand_url="http://127.0.0.1:3",
        provider="nebius",
        surface="on_demand",
        model="flag-model",
    )
    s = resolve(flags, **env)
    assert (s.control_plane_base_url.value, s.control_plane_base_url.source) == (
        "https://cp.flag.example",
        "flag",
    )
    assert s.control_plane_base_url.origin == "--control-plane-url"  # the real flag
    assert (s.timeout.value, s.on_demand_user_id.value, s.on_demand_base_url.value) == (
        14.0,
        USER_A,
        "http://127.0.0.1:3",
    )
    # Secrets are never taken on the command line: the env still provides them.
    assert (s.inference_api_key.source, s.control_plane_token.source) == ("env", "env")
    assert (s.gateway_provider.value, s.surface.value, s.model.value) == ("nebius", "on_demand", "flag-model")
    assert s.max_retries.source == "env"  # no flag for it


def test_blank_env_vars_are_unset(dirs: Dirs) -> None:
    s = resolve(
        TENSORMESH_CONTROL_PLANE_BASE_URL="  ",
        TENSORMESH_INFERENCE_API_KEY="",
        TENSORMESH_TIMEOUT_SECONDS=" ",
    )
    assert s.control_plane_base_url.source == "default" and s.inference_api_key.value is None
    assert s.timeout.source == "default" and not s.problems


def test_on_demand_url_explicit_then_hosts_then_table(dirs: Dirs) -> None:
    customise_default(dirs, gateway_provider="LAMBDA", on_demand_hosts={"lambda": "http://127.0.0.1:7"})
    s = resolve()
    assert (s.on_demand_base_url.value, s.on_demand_base_url.source) == (
        "http://127.0.0.1:7",
        "tm-tui config",
    )
    assert (
        resolve(LaunchOptions(provider="Yotta")).on_demand_base_url.value
        == "https://external.yotta.tensormesh.ai"
    )
    customise_default(dirs, on_demand_base_url="http://127.0.0.1:8")
    assert resolve().on_demand_base_url.value == "http://127.0.0.1:8"


def test_model_is_remembered_per_surface(dirs: Dirs) -> None:
    store = ProfileStore(dirs.tui)
    store.set_model("default", "serverless", "ada-llama-8b")
    store.set_model("default", "on_demand", "my-deployment")
    assert resolve().model.value == "ada-llama-8b"
    store.update("default", surface="on_demand")
    s = resolve()
    assert (s.surface.value, s.surface.source, s.model.value) == (
        "on_demand",
        "tm-tui config",
        "my-deployment",
    )


def test_profiles_without_tm_sharing_ignore_the_tm_files(dirs: Dirs) -> None:
    write_tm_files(dirs)
    store = ProfileStore(dirs.tui)
    store.create(Profile(name="staging", control_plane_base_url="https://cp.staging.example"))
    store.set_active("staging")
    s = resolve()
    assert (s.profile_name.value, s.profile_name.source) == ("staging", "tm-tui config")
    assert s.control_plane_base_url.value == "https://cp.staging.example"
    assert s.inference_api_key.value is None and s.control_plane_token.value is None
    assert s.timeout.source == "default"
    chosen = resolve(LaunchOptions(profile="default"))
    assert (chosen.profile_name.value, chosen.profile_name.source) == ("default", "flag")
    assert chosen.control_plane_token.source == "tm auth.json"


def test_unknown_profile_is_a_problem_not_a_crash(dirs: Dirs) -> None:
    s = resolve(LaunchOptions(profile="nope"))
    assert s.profile_name.value == "default"
    assert any("Unknown profile 'nope'" in str(p) for p in s.problems)


@pytest.mark.parametrize(
    ("flags", "env", "field", "fallback_source"),
    [
        (LaunchOptions(user_id="not-a-uuid"), {}, "on_demand_user_id", "default"),
        (LaunchOptions(provider="aws"), {}, "gateway_provider", "default"),
        (LaunchOptions(timeout=-2), {}, "timeout", "default"),
        (LaunchOptions(), {"TENSORMESH_MAX_RETRIES": "many"}, "max_retries", "default"),
        (LaunchOptions(ca_bundle="/nonexistent/ca.pem"), {}, "ca_bundle", "default"),
        (LaunchOptions(serverless_url="localhost:8000"), {}, "serverless_base_url", "default"),
        (LaunchOptions(surface="edge"), {}, "surface", "default"),
    ],
)
def test_invalid_values_become_problems_and_fall_through(
    dirs: Dirs, flags: LaunchOptions, env: dict, field: str, fallback_source: str
) -> None:
    s = resolve(flags, **env)
    assert getattr(s, field).source == fallback_source
    assert len(s.problems) == 1 and field in str(s.problems[0])


def test_ca_bundle_is_expanded_and_checked(dirs: Dirs) -> None:
    write(dirs.home / "ca.pem", "pem")
    write(dirs.tm_config, 'ca_bundle = "~/ca.pem"\n')
    s = resolve()
    assert (s.ca_bundle.value, s.ca_bundle.source) == (str(dirs.home / "ca.pem"), "tm config.toml")


@pytest.mark.parametrize(
    ("target", "content"),
    [
        ("tm_config", "timeout_seconds = ["),
        ("tm_config", 'profiles = "x"\n'),
        ("tm_auth", "{oops"),
        ("tm_auth", "[]"),
        ("tm_auth", '{"refresh_token": "r"}'),
        ("tui_config", "[ui\n"),
        ("credentials", '{"default": "tmk_should_not_leak_123"}'),
    ],
)
def test_broken_files_are_problems_naming_the_file_and_stay_untouched(
    dirs: Dirs, target: str, content: str
) -> None:
    path: Path = getattr(dirs, target)
    write(path, content)
    s = resolve()
    file_problems = [p for p in s.problems if isinstance(p, ConfigFileError)]
    assert len(file_problems) == 1 and file_problems[0].path == path
    message = str(file_problems[0])
    assert message.startswith(f"{path}: ") and "\n" not in message and "tmk_should_not_leak" not in message
    assert path.read_text() == content


def test_a_directory_where_a_file_should_be(dirs: Dirs) -> None:
    dirs.tm_auth.mkdir(parents=True)
    s = resolve()
    assert [str(p) for p in s.problems] == [f"{dirs.tm_auth}: is a directory, expected a file"]
    assert s.control_plane_token.value is None


def test_secrets_never_appear_in_repr_str_or_describe(dirs: Dirs) -> None:
    write_tm_files(dirs)
    s = resolve()
    rows = s.describe()
    text = "\n".join([repr(s), str(s), repr(rows)])
    for secret in ALL_SECRETS:
        assert secret not in text
    shown = {row.name: row for row in rows}
    assert shown["inference API key"].value == "tmk_…dddd"
    assert shown["inference API key"].source == f"tm config.toml: {dirs.tm_config} [overrides]"
    assert shown["control-plane token"].value == "eyJ.…sig0"
    assert not any("refresh" in row.name for row in rows)


def test_save_login_for_the_default_profile_writes_tm_auth_json(dirs: Dirs) -> None:
    body = {"access_token": TOKEN_TM, "refresh_token": REFRESH_TM, "expires_in": 900}
    written = save_login(resolve(), body)
    assert written == dirs.tm_auth and json.loads(dirs.tm_auth.read_text()) == body
    assert stat.S_IMODE(dirs.tm_auth.stat().st_mode) == 0o600
    s = resolve()
    assert s.control_plane_token.source == "tm auth.json" and s.refresh_token.value.reveal() == REFRESH_TM  # type: ignore[union-attr]

    assert logout(s) == [dirs.tm_auth]
    assert not dirs.tm_auth.exists() and resolve().control_plane_token.value is None


def test_save_login_refuses_to_replace_a_broken_auth_json_until_logout(dirs: Dirs) -> None:
    write(dirs.tm_auth, "{broken")
    s = resolve()
    with pytest.raises(ConfigFileError, match="not overwritten"):
        save_login(s, {"access_token": TOKEN_TM})
    assert dirs.tm_auth.read_text() == "{broken"
    assert logout(s) == [dirs.tm_auth]
    save_login(s, {"access_token": TOKEN_TM})
    assert resolve().control_plane_token.value.reveal() == TOKEN_TM  # type: ignore[union-attr]


def test_custom_profile_keeps_its_login_in_credentials_json(dirs: Dirs) -> None:
    store = ProfileStore(dirs.tui)
    store.create(Profile(name="work"))
    store.set_active("work")
    s = resolve()
    assert (
        save_login(s, {"access_token": "work-token-0123456789", "refresh_token": "work-refresh-01"})
        == dirs.credentials
    )
    assert stat.S_IMODE(dirs.credentials.stat().st_mode) == 0o600
    assert not dirs.tm_auth.exists()
    again = resolve()
    assert again.control_plane_token.value.reveal() == "work-token-0123456789"  # type: ignore[union-attr]
    assert (again.control_plane_token.source, again.control_plane_token.origin) == (
        "tm-tui config",
        str(dirs.credentials),
    )
    assert again.refresh_token.value.reveal() == "work-refresh-01"  # type: ignore[union-attr]
    with pytest.raises(ConfigFileError, match="no usable 'access_token'"):
        save_login(again, {"error": "denied"})

    assert save_inference_key(again, KEY_TUI) == dirs.credentials
    assert logout(again) == [dirs.credentials]
    after = resolve()
    assert after.control_plane_token.value is None
    assert after.inference_api_key.value.reveal() == KEY_TUI  # type: ignore[union-attr]
    assert "tm config.toml" not in {r.source for r in after.describe()} and not dirs.tm.exists()


def test_save_inference_key_for_the_default_profile_shares_it_with_tm(dirs: Dirs) -> None:
    write(dirs.tm_config, "# keep me\nmax_retries = 1\n")
    update_credentials(dirs.tui, "default", {"inference_api_key": "stale-key-0123456789"})
    assert save_inference_key(resolve(), KEY_TM) == dirs.tm_config
    text = dirs.tm_config.read_text()
    assert text.startswith("# keep me\n") and tomllib.loads(text)["overrides"]["gateway_api_key"] == KEY_TM
    assert stat.S_IMODE(dirs.tm_config.stat().st_mode) == 0o600
    s = resolve()
    assert s.inference_api_key.value.reveal() == KEY_TM and s.inference_api_key.source == "tm config.toml"  # type: ignore[union-attr]
    assert "inference_api_key" not in json.loads(dirs.credentials.read_text()).get("default", {})


def test_save_inference_key_never_clobbers_a_broken_tm_config(dirs: Dirs) -> None:
    write(dirs.tm_config, "max_retries = [")
    s = resolve()
    assert save_inference_key(s, KEY_TUI) == dirs.credentials
    assert dirs.tm_config.read_text() == "max_retries = ["
    assert resolve().inference_api_key.value.reveal() == KEY_TUI  # type: ignore[union-attr]


def test_broken_credentials_json_is_never_overwritten(dirs: Dirs) -> None:
    ProfileStore(dirs.tui).create(Profile(name="work"))
    write(dirs.credentials, "[1, 2]")
    s = resolve(LaunchOptions(profile="work"))
    with pytest.raises(ConfigFileError, match="expected a JSON object"):
        save_inference_key(s, KEY_TUI)
    assert dirs.credentials.read_text() == "[1, 2]"


def test_demo_is_hermetic_and_writes_nothing(dirs: Dirs) -> None:
    write_tm_files(dirs)
    url = "http://127.0.0.1:8765"
    profile = demo_profile(
        {"serverless": url, "on_demand": url, "control_plane": url},
        {"inference_api_key": "tmk_demo_0123456789ab", "control_plane_token": "demo-token-0123456789"},
    )
    s = resolve_settings(
        LaunchOptions(demo=True), {**os.environ, "TENSORMESH_INFERENCE_API_KEY": KEY_ENV}, profile=profile
    )
    assert not s.problems and s.demo and s.on_demand_enabled.value
    assert s.profile_name.value == "demo"
    assert {s.serverless_base_url.value, s.control_plane_base_url.value, s.on_demand_base_url.value} == {url}
    assert s.inference_api_key.value.reveal() == "tmk_demo_0123456789ab"  # type: ignore[union-attr]
    assert s.control_plane_token.value.reveal() == "demo-token-0123456789"  # type: ignore[union-attr]
    assert s.timeout.source == "default"  # the tm config.toml is not consulted
    assert "tmk_demo_0123456789ab" not in repr(s) and "demo-token-0123456789" not in repr(s.describe())

    before = {p: p.read_bytes() for p in (dirs.tm_config, dirs.tm_auth)}
    assert save_inference_key(s, "tmk_demo_new_key_0001") is None
    assert save_login(s, {"access_token": "demo-token-new-00001"}) is None
    again = resolve_settings(LaunchOptions(demo=True), os.environ, profile=profile)
    assert again.inference_api_key.value.reveal() == "tmk_demo_new_key_0001"  # type: ignore[union-attr]
    assert again.control_plane_token.value.reveal() == "demo-token-new-00001"  # type: ignore[union-attr]
    assert (
        logout(again) == []
        and resolve_settings(LaunchOptions(demo=True), os.environ, profile=profile).control_plane_token.value
        is None
    )
    assert {p: p.read_bytes() for p in before} == before and not dirs.tui.exists()


def test_on_demand_flag_env(dirs: Dirs) -> None:
    s = resolve(TENSORMESH_ENABLE_ON_DEMAND=" Yes ")
    assert (s.on_demand_enabled.value, s.on_demand_enabled.source) == (True, "env")
    assert not resolve(TENSORMESH_ENABLE_ON_DEMAND="0").on_demand_enabled.value
