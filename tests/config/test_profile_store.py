import tomllib

import pytest

from tests.config.helpers import Dirs, write
from tm_tui.config.errors import ConfigFileError, ProfileError
from tm_tui.config.profile_store import ProfileStore
from tm_tui.config.profiles import Profile
from tm_tui.config.tui_config import load_credentials, update_credentials


@pytest.fixture
def store(dirs: Dirs) -> ProfileStore:
    return ProfileStore(dirs.tui)


def test_fresh_store_has_only_the_active_default_and_writes_nothing(store: ProfileStore, dirs: Dirs) -> None:
    assert [p.name for p in store.list()] == ["default"]
    assert store.active_name == "default" and store.active().uses_tm_cli_files
    assert not dirs.tui.exists()


def test_default_store_dir_comes_from_env(dirs: Dirs) -> None:
    assert ProfileStore().config_dir == dirs.tui


def test_crud_persists_across_instances(store: ProfileStore, dirs: Dirs) -> None:
    store.create(Profile(name="work", gateway_provider="lambda"))
    store.create(Profile(name="alpha"))
    store.update("work", on_demand_user_id="3f8e2a4c-1b2d-4e5f-8a9b-0c1d2e3f4a5b", timeout_s=5)
    store.set_active("work")
    store.set_model("work", "serverless", "ada-llama-8b")
    store.set_model("work", "on-demand", "my-deployment")

    again = ProfileStore(dirs.tui)
    assert [p.name for p in again.list()] == ["default", "alpha", "work"]
    work = again.get("work")
    assert (work.gateway_provider, work.timeout_s, work.model, work.on_demand_model) == (
        "lambda",
        5.0,
        "ada-llama-8b",
        "my-deployment",
    )
    assert again.active_name == "work"
    on_disk = tomllib.loads(dirs.tui_config.read_text())
    assert on_disk["active_profile"] == "work"
    assert on_disk["profiles"]["work"]["gateway_provider"] == "lambda"

    again.update("work", timeout_s=None)
    assert ProfileStore(dirs.tui).get("work").timeout_s is None


def test_customising_the_default_profile(store: ProfileStore) -> None:
    store.update("default", serverless_base_url="http://127.0.0.1:9")
    assert store.get("default").serverless_base_url == "http://127.0.0.1:9"
    assert store.get("default").uses_tm_cli_files
    assert [p.name for p in store.list()] == ["default"]


def test_refusals(store: ProfileStore) -> None:
    store.create(Profile(name="work"))
    store.set_active("work")
    with pytest.raises(ProfileError, match="already exists"):
        store.create(Profile(name="work"))
    with pytest.raises(ProfileError, match="already exists"):
        store.create(Profile(name="default"))
    with pytest.raises(ProfileError, match="reserved for the built-in demo"):
        store.create(Profile(name="demo"))
    with pytest.raises(ProfileError, match="reserved for the built-in demo"):
        store.rename("work", "demo")
    with pytest.raises(ProfileError, match="'default' profile cannot be deleted"):
        store.delete("default")
    with pytest.raises(ProfileError, match="active profile"):
        store.delete("work")
    with pytest.raises(ProfileError, match="no profile named 'nope'"):
        store.get("nope")
    with pytest.raises(ProfileError, match="no profile named"):
        store.set_active("nope")
    with pytest.raises(ProfileError, match="on_demand_user_id"):
        store.update("work", on_demand_user_id="nope")
    with pytest.raises(ProfileError, match="rename"):
        store.update("work", name="other")
    with pytest.raises(ProfileError, match="cannot be renamed"):
        store.rename("default", "prod")
    assert store.active_name == "work" and store.get("work").on_demand_user_id is None


def test_delete_and_rename_carry_credentials(store: ProfileStore, dirs: Dirs) -> None:
    store.create(Profile(name="work"))
    store.create(Profile(name="old"))
    update_credentials(dirs.tui, "work", {"inference_api_key": "tmk_work_0123456789"})
    update_credentials(dirs.tui, "old", {"inference_api_key": "tmk_old_0123456789"})
    store.set_active("work")
    store.rename("work", "job")
    assert store.active_name == "job"
    assert load_credentials(dirs.tui) == {
        "job": {"inference_api_key": "tmk_work_0123456789"},
        "old": {"inference_api_key": "tmk_old_0123456789"},
    }
    store.delete("old")
    assert [p.name for p in store.list()] == ["default", "job"]
    assert "old" not in load_credentials(dirs.tui)


def test_ui_prefs_round_trip_and_unknown_keys_survive(store: ProfileStore, dirs: Dirs) -> None:
    write(dirs.tui_config, 'future_key = 1\n[ui]\nfont = "big"\n')
    store.set_ui_prefs(theme="nord", last_section="billing")
    prefs = ProfileStore(dirs.tui).ui_prefs()
    assert (prefs.theme, prefs.last_section) == ("nord", "billing")
    data = tomllib.loads(dirs.tui_config.read_text())
    assert data["future_key"] == 1 and data["ui"]["font"] == "big"


def test_active_profile_naming_a_missing_profile_falls_back_to_default(
    store: ProfileStore, dirs: Dirs
) -> None:
    write(dirs.tui_config, 'active_profile = "gone"\n')
    assert store.active_name == "default"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("active_profile = [", "invalid TOML"),
        ('profiles = "x"\n', "[profiles.<name>] entries must be TOML tables"),
        ("[profiles.work]\ntimeout_s = -1\n", "profiles.work.timeout_s"),
        ('[profiles."bad name"]\n', "profiles.bad name.name"),
    ],
)
def test_broken_config_is_reported_and_never_overwritten(
    store: ProfileStore, dirs: Dirs, text: str, reason: str
) -> None:
    write(dirs.tui_config, text)
    with pytest.raises(ConfigFileError) as info:
        store.list()
    assert str(info.value).startswith(str(dirs.tui_config)) and reason in str(info.value)
    for attempt in (
        lambda: store.create(Profile(name="new")),
        lambda: store.set_active("default"),
        lambda: store.set_ui_prefs(theme="x"),
    ):
        with pytest.raises(ConfigFileError):
            attempt()
    assert dirs.tui_config.read_text() == text
