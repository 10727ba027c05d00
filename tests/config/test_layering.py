import subprocess
import sys
from importlib import import_module


def test_config_imports_neither_textual_nor_the_api_layer() -> None:
    code = (
        "import sys, tm_tui.config, tm_tui.config.settings, tm_tui.config.profile_store;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'textual' or m.startswith('tm_tui.api'));"
        "print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_package_exports_resolve_lazily() -> None:
    import tm_tui.config as config

    assert sorted(config.__all__) == sorted(config._EXPORTS)
    for name, module in config._EXPORTS.items():  # each name is the object of its own submodule
        assert getattr(config, name) is getattr(import_module(f"tm_tui.config.{module}"), name)
    # ...loaded on first use only: importing the package loads none of them.
    code = (
        "import sys, tm_tui.config; print(sorted(m for m in sys.modules if m.startswith('tm_tui.config.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_light_modules_do_not_pull_in_pydantic() -> None:
    # The data-dir cache is read before the first frame and only needs paths and atomic writes.
    code = "import sys, tm_tui.config.paths, tm_tui.config.atomic; print('pydantic' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
