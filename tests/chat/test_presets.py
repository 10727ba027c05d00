"""Parameter presets per profile in tm-tui's config dir."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tm_tui.chat.params import Params
from tm_tui.chat.presets import PresetError, PresetStore


@pytest.fixture
def presets(tmp_path: Path) -> PresetStore:
    return PresetStore(tmp_path / "cfg" / "presets.json")


def test_save_list_load_delete(presets: PresetStore) -> None:
    creative = Params(temperature=1.2, top_p=0.95, stop=("\n\n", "a,b"), json_mode=True)
    presets.save("default", "Creative", creative)
    presets.save("default", "precise", Params(temperature=0.0, seed=42))
    presets.save("work", "Creative", Params(max_tokens=10))
    assert presets.names("default") == ["Creative", "precise"]
    assert presets.names("work") == ["Creative"] and presets.names("nobody") == []
    assert presets.load("default", "Creative") == (creative, {})
    presets.save("default", "Creative", Params(temperature=0.5))  # overwrite
    assert presets.load("default", "Creative")[0] == Params(temperature=0.5)
    presets.delete("default", "Creative")
    assert presets.names("default") == ["precise"]
    presets.delete("work", "Creative")
    assert "work" not in json.loads(presets.path.read_text())["profiles"]


def test_default_location_is_the_config_dir(tmp_path: Path) -> None:
    store = PresetStore.open_default({"TM_TUI_CONFIG_DIR": str(tmp_path / "c")})
    store.save("p", "x", Params(seed=1))
    assert (tmp_path / "c" / "presets.json").exists()
    assert not [name for name in os.listdir(tmp_path / "c") if name.endswith(".tmp")]  # atomic, no leftovers


def test_unknown_and_bad_names(presets: PresetStore) -> None:
    with pytest.raises(PresetError, match="no preset named 'x'"):
        presets.load("p", "x")
    with pytest.raises(PresetError, match="no preset named"):
        presets.delete("p", "x")
    with pytest.raises(PresetError, match="needs a name"):
        presets.save("p", "  ", Params())
    with pytest.raises(PresetError, match="printable"):
        presets.save("p", "bad\x1bname", Params())


def test_values_edited_by_hand_are_validated_on_load(presets: PresetStore) -> None:
    presets.path.parent.mkdir(parents=True)
    presets.path.write_text(
        json.dumps({"version": 1, "profiles": {"p": {"hot": {"temperature": "9", "seed": "3"}}}})
    )
    params, errors = presets.load("p", "hot")
    assert params == Params(seed=3)
    assert errors == {"temperature": "temperature must be between 0 and 2"}


@pytest.mark.parametrize(
    "content", ["{not json", '{"profiles": []}', '{"profiles": {"p": {"x": {"seed": 3}}}}']
)
def test_an_unreadable_file_is_reported_and_never_overwritten(presets: PresetStore, content: str) -> None:
    presets.path.parent.mkdir(parents=True)
    presets.path.write_text(content)
    with pytest.raises(PresetError, match="left untouched"):
        presets.names("p")
    with pytest.raises(PresetError, match="left untouched"):
        presets.save("p", "new", Params(seed=1))
    assert presets.path.read_text() == content
