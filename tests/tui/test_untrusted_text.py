"""One hostile corpus, every view: server text (model ids, model names, descriptions, model output,
profile fields, ticket subjects and replies, deployment names and log lines, billing rows, tokenizer
pieces, API key names, activity entries, error messages, notifications, tooltips) carrying console
markup, ANSI/OSC escapes (OSC 52 clipboard, OSC 0 title, OSC 8 link), bidi controls, zero-width
characters and a 5,000-character line is shown inert — the markup as literal characters, no escape
byte in the rendered screen or the exported screenshot, no click action or hyperlink taken from
server text, no tooltip parsed as markup.

The emulator serves the corpus: a model whose id is hostile, and its `markup` fault, which poisons
every JSON text field, every stream and (with `status=`) every error message
(`tm_tui.emulator.faults.HOSTILE_TEXT`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.strip import Strip
from textual.widgets import DataTable

from tm_tui.emulator import catalog, inference_app, seed
from tm_tui.emulator.server import RunningEmulator, run_emulator
from tm_tui.screens.billing_pricing import PricingPanel
from tm_tui.screens.sections import SECTIONS

from ..conftest import unthrottled_state
from .chat_helpers import send
from .helpers import SIZE, notifications, open_section, settle

# A model id a foreign server could send: markup, a click action, a bidi override, a zero-width space.
HOSTILE_ID = "evil[b]model[/b][@click=app.quit]go[/]\u202eexe.txt\u200b" + "W" * 5_000
SHOWN_ID = "evil[b]model[/b]"  # what the start of it must look like on screen
# Nothing of these may reach the terminal: ESC, BEL, CSI (C1), bidi override/pop, zero-width chars.
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\u202e", "\u202c", "\u200b", "\ufeff")
HOSTILE_WORDS = ("ALERT", "click me", "quit", "evil", "pwned", "exe.txt")


@pytest.fixture
def hostile_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningEmulator]:
    hostile = catalog.ServerlessModel(
        HOSTILE_ID, "Evil [i]model[/i]", 8_192, False, False, "0.1", "0.2", None
    )
    models = (hostile, *catalog.SERVERLESS_MODELS)
    for module in (inference_app, seed):
        monkeypatch.setattr(module, "SERVERLESS_MODELS", models)
    state = unthrottled_state()
    state.faults.add("markup=2")  # every surface, every request
    with run_emulator(state) as running:
        for name, value in running.sdk_env().items():
            monkeypatch.setenv(name, value)
        yield running


def screen_strips(app) -> list[Strip]:
    return app.screen._compositor.render_strips()


def assert_inert(app, view: str) -> str:
    """Check the whole rendered screen of `view`; return its text."""
    lines = []
    for y, strip in enumerate(screen_strips(app)):
        text = strip.text
        lines.append(text)
        for bad in FORBIDDEN:
            assert bad not in text, f"{view}: {bad!r} reached the terminal on line {y}: {text!r}"
        for segment in strip:
            style = segment.style
            if style is None or not any(word in segment.text for word in HOSTILE_WORDS):
                continue
            # Markdown's own link handler is the one allowed: answers use `open_links=False`, nothing opens.
            action = style.meta.get("@click", "link(")
            assert action.startswith("link("), f"{view}: server text became an action: {segment!r}"
            assert not style.link, f"{view}: server text became a hyperlink: {segment!r}"
        if "ALERT" in text:
            assert "]ALERT" in text or "ALERT[" in text, f"{view}: markup was applied on line {y}: {text!r}"
    for widget in app.screen.query("*"):
        tip = widget.tooltip
        if isinstance(tip, str) and any(word in tip for word in HOSTILE_WORDS):
            raise AssertionError(
                f"{view}: a tooltip of {widget!r} is a markup string of server text: {tip!r}"
            )
    svg = app.export_screenshot()
    for bad in FORBIDDEN:
        assert bad not in svg, f"{view}: {bad!r} reached the screenshot"
    return "\n".join(lines)


async def test_a_hostile_corpus_is_inert_in_every_view(hostile_env, make_app):
    app = make_app(model=HOSTILE_ID)
    shown: dict[str, str] = {}
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        for section in SECTIONS:
            await open_section(pilot, section.id)
            shown[section.id] = assert_inert(app, section.id)

        await open_section(pilot, "chat")
        await send(pilot, "Tell me about caches")
        shown["chat answer"] = assert_inert(app, "chat answer")
        for key, view in (("ctrl+o", "history"), ("ctrl+g", "view code"), ("ctrl+b", "compare")):
            await pilot.press(key)
            await settle(pilot)
            shown[view] = assert_inert(app, view)
            await pilot.press("escape")
            await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        shown["help"] = assert_inert(app, "help")
        assert app.is_running

    # The corpus reached the views (the test would prove nothing otherwise), shown as literal text.
    assert SHOWN_ID in shown["chat"], "the chat toolbar's model select interprets the model id"
    assert "<U+202E>" in shown["chat"]
    assert "[bold red]ALERT[/bold red]" in shown["chat answer"]
    assert SHOWN_ID in shown["models"]
    assert "[bold red]ALERT" in shown["account"]
    assert any("W" * 40 in text for text in shown.values()), "the 5,000-character line is shown (cut to fit)"


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


# (section, keys pressed there, the view's name): the tabs and details beyond a section's first view.
VIEWS = (
    ("tokenizer", ("ctrl+t",), "tokenizer pieces"),
    *(("billing", (str(n),), f"billing tab {n}") for n in range(1, 6)),
    ("support", ("enter",), "support conversation"),
    *(("deployments", (str(n),), f"deployments tab {n}") for n in range(1, 5)),
    ("account", ("2",), "API keys"),
    ("account", ("3",), "activity"),
)


async def test_the_corpus_is_inert_in_every_tab_detail_and_error(hostile_env, make_app):
    app = make_app(model=HOSTILE_ID)
    shown: dict[str, str] = {}
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await open_section(pilot, "tokenizer")
        app.screen.query_one("#tok-text").load_text("Hello world")
        for section_id, keys, view in VIEWS:
            await open_section(pilot, section_id)
            await press(pilot, *keys)
            shown[view] = assert_inert(app, view)

        # u on a priced model makes it the Chat model and says so in a notification.
        await open_section(pilot, "billing")
        await press(pilot, "4")
        table = app.screen.query_one("#pricing-serverless", DataTable)
        table.focus()
        table.move_cursor(
            row=[i for i, m in enumerate(app.screen.query_one(PricingPanel).models) if m == HOSTILE_ID][0]
        )
        await press(pilot, "u")
        shown["notification"] = assert_inert(app, "notification")
        assert all(len(message) < 400 for _, message, _ in notifications(app)), "a long model name is cut"

        # Error messages: the same corpus in the body of a refusal, on each surface.
        hostile_env.state.faults.add("status=422,markup@*:*")
        for section_id, key in (("support", "r"), ("deployments", "r"), ("models", "r"), ("account", "r")):
            await open_section(pilot, section_id)
            await press(pilot, key)
            shown[f"{section_id} error"] = assert_inert(app, f"{section_id} error")
        assert app.is_running

    # The corpus reached each view (the test would prove nothing otherwise), shown as literal text.
    for view in ("tokenizer pieces", "support conversation", "deployments tab 1", "deployments tab 3",
                 "API keys", "activity", "billing tab 3", "support error", "models error", "account error"):  # fmt: skip
        assert "[bold red]ALERT" in shown[view], f"{view}: the corpus did not reach it"
    assert SHOWN_ID in shown["billing tab 2"], "the usage table's model names"
    assert "pending" in shown["deployments tab 1"], "a long deployment name pushed the status column away"
    assert "Chat model:" in shown["notification"] and SHOWN_ID in shown["notification"]
