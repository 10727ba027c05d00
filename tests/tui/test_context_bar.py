"""The context bar fits its width: labels shrink first, then the model name loses its middle, and
the control-plane login state always shows in full."""

from __future__ import annotations

import pytest

from tm_tui.state import AppContext, LoginState
from tm_tui.widgets.context_bar import ContextBar, middle_ellipsis, render_context

from .helpers import settle

DEMO = AppContext(
    profile="demo",
    surface="serverless",
    model="MiniMaxAI/MiniMax-M2.5",
    login=LoginState.LOGGED_IN,
    display_name="Ada L.",
    demo=True,
    generation=1,
)
LONG_MODEL = "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B-Instruct-AWQ"


@pytest.mark.parametrize("width", [119, 100, 80, 60, 48])
@pytest.mark.parametrize("model", [DEMO.model, LONG_MODEL, None])
def test_the_bar_fits_and_always_shows_the_login_state(width, model):
    context = AppContext(**{**vars(DEMO), "model": model})
    text = render_context(context, width).plain
    assert len(text) <= width
    assert text.endswith(" logged in") and "DEMO" in text


def test_at_120_columns_everything_is_spelled_out():
    text = render_context(DEMO, 119).plain  # 120 columns less the bar's right padding
    for part in (
        "profile demo (Ada L.)",
        "surface serverless",
        f"model {DEMO.model}",
        "control plane logged in",
    ):
        assert part in text


def test_at_80_columns_labels_go_and_a_long_model_loses_its_middle():
    text = render_context(AppContext(**{**vars(DEMO), "model": LONG_MODEL}), 79).plain
    assert "profile " not in text and "control plane" not in text
    assert "cp logged in" in text
    shown = text.split("│")[2].strip()
    assert "…" in shown and LONG_MODEL.startswith(shown.split("…")[0])
    assert LONG_MODEL.endswith(shown.split("…")[1])


def test_middle_ellipsis():
    assert middle_ellipsis("abcdefghij", 10) == "abcdefghij"
    assert middle_ellipsis("abcdefghij", 5) == "ab…ij"
    assert middle_ellipsis("abcdefghij", 6) == "abc…ij"


async def test_the_demo_bar_follows_the_terminal_width(make_app):
    app = make_app(demo=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(ContextBar)
        wide = bar.render().plain
        assert "control plane logged in" in wide and len(wide) <= bar.size.width
        await pilot.resize_terminal(80, 30)
        await settle(pilot)
        narrow = bar.render().plain
        assert narrow.endswith("logged in") and len(narrow) <= bar.size.width < 80
        assert "DEMO" in narrow and "serverless" in narrow
