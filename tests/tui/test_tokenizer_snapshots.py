"""SVG snapshots of the Tokenizer section at 120x40 (`--snapshot-update` regenerates them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.pilot import Pilot
from textual.widgets import TextArea

from tm_tui.emulator import faults
from tm_tui.emulator.tokenizer import tokenizer_for

from .helpers import SIZE, open_section, settle, wait_until

MODEL = "MiniMaxAI/MiniMax-M2.5"
TEXT = "Tokenizers split text:\n  emoji 🦜, CJK 日本語,\ttabs and spaces."


def tokenizer_with(tab: str, fill: dict[str, str], *keys: str) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        await open_section(pilot, "tokenizer")
        screen = pilot.app.screen
        await wait_until(pilot, lambda: screen.pricing, "serverless prices")  # costs in the picture
        for widget_id, text in fill.items():
            screen.query_one(f"#{widget_id}", TextArea).load_text(text)
        screen.action_tab(tab)
        await pilot.press("ctrl+t")
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
        screen.set_focus(None)  # a text area's cursor blinks: no fixed picture
        await pilot.pause()

    return run_before


async def focus_view(pilot: Pilot) -> None:
    pilot.app.screen.query_one("#tok-text-panel-view").focus()
    await pilot.pause()


def test_tokenizer_text_with_cursor_on_a_split_emoji(emulator_env, pinned_urls, make_app, snap_compare):
    async def run_before(pilot: Pilot) -> None:
        await tokenizer_with("tab-text", {"tok-text": TEXT})(pilot)
        await focus_view(pilot)
        strs = tokenizer_for(MODEL, 196_608).token_strs(tokenizer_for(MODEL, 196_608).encode(TEXT))
        emoji = next(i for i, s in enumerate(strs) if "<0xF0>" in s)
        await pilot.press(*["right"] * emoji, "ctrl+g")
        await settle(pilot)

    assert snap_compare(make_app(model=MODEL), terminal_size=SIZE, run_before=run_before)


def test_tokenizer_chat_attribution(emulator_env, pinned_urls, make_app, snap_compare):
    chat = "system: You are concise.\nuser: How many tokens is this? 🦜"
    run_before = tokenizer_with("tab-chat", {"tok-chat": chat})
    assert snap_compare(make_app(model=MODEL), terminal_size=SIZE, run_before=run_before)


def test_tokenizer_prefix_view(emulator_env, pinned_urls, make_app, snap_compare):
    fill = {
        "tok-prefix-a": "You are a helpful assistant. Answer in one line. What is a KV cache?",
        "tok-prefix-b": "You are a helpful assistant. Answer in one line. What is prefix caching?",
    }
    run_before = tokenizer_with("tab-prefix", fill)
    assert snap_compare(make_app(model=MODEL), terminal_size=SIZE, run_before=run_before)


def test_tokenizer_error_in_place(emulator_env, pinned_urls, make_app, snap_compare, monkeypatch):
    monkeypatch.setattr(faults, "new_request_id", lambda: "req_snapshot")  # ids are random otherwise
    emulator_env.state.faults.add("status=404@serverless:/tokenize")
    run_before = tokenizer_with("tab-text", {"tok-text": "Any text"})
    assert snap_compare(make_app(model=MODEL), terminal_size=SIZE, run_before=run_before)
