from pathlib import Path

from tm_tui.config import paths


def test_env_overrides_move_tui_dirs(tmp_path: Path) -> None:
    env = {
        "TM_TUI_CONFIG_DIR": str(tmp_path / "c"),
        "TM_TUI_DATA_DIR": str(tmp_path / "d"),
        "TM_TUI_CACHE_DIR": str(tmp_path / "k"),
    }
    assert paths.tui_config_dir(env) == tmp_path / "c"
    assert paths.tui_data_dir(env) == tmp_path / "d"
    assert paths.tui_cache_dir(env) == tmp_path / "k"


def test_blank_override_falls_back_to_platformdirs() -> None:
    assert paths.tui_config_dir({"TM_TUI_CONFIG_DIR": "  "}).name == "tm-tui"


def test_tm_root_is_literally_home_dot_config_ignoring_xdg(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert paths.tm_cli_home(env) == tmp_path / ".config" / "tensormesh"
    assert paths.tm_cli_auth_path(env) == tmp_path / ".config" / "tensormesh" / "auth.json"


def test_tm_config_home_overrides_root_with_tilde_expanded(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.tm_cli_config_path({"TM_CONFIG_HOME": "~/tmroot"}) == tmp_path / "tmroot" / "config.toml"
    assert (
        paths.tm_cli_home({"TM_CONFIG_HOME": " ", "HOME": str(tmp_path)})
        == tmp_path / ".config" / "tensormesh"
    )
