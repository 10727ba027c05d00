"""The Tokenizer section against the emulator (and a llama.cpp-style server faked with respx)."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static, TextArea

from tm_tui.emulator.catalog import serverless_model
from tm_tui.emulator.tokenizer import tokenizer_for
from tm_tui.screens.tokenizer import JobDone, TokenizerScreen
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.token_panel import TokenPanel
from tm_tui.widgets.token_view import TokenView

from .helpers import SIZE, open_section, plain, settle, wait_until

MODEL = "MiniMaxAI/MiniMax-M2.5"
OTHER = "Qwen/Qwen3-30B-A3B-Instruct-2507"
SMALL = "meta-llama/Llama-3.3-70B-Instruct"  # 8,192-token window


def emulator_ids(text: str, model: str = MODEL) -> list[int]:
    return tokenizer_for(model, serverless_model(model).context_length).encode(text)


def screen(pilot: Pilot) -> TokenizerScreen:
    assert isinstance(pilot.app.screen, TokenizerScreen)
    return pilot.app.screen


async def tokenize_text(pilot: Pilot, text: str) -> TokenPanel:
    await open_section(pilot, "tokenizer")
    s = screen(pilot)
    s.query_one("#tok-text", TextArea).load_text(text)
    await pilot.press("ctrl+t")
    await settle(pilot)
    return s.query_one("#tok-text-panel", TokenPanel)


def shown_lines(view: TokenView) -> list[str]:
    """The token view's visible lines, as rendered (inside its border)."""
    return [view.render_line(y).text.rstrip() for y in range(view.scrollable_content_region.height)]


def counts(panel: TokenPanel) -> str:
    return plain(panel.query_one(".token-counts", Static))


def detail(panel: TokenPanel) -> str:
    return plain(panel.query_one(".token-detail", Static))


def error_text(pilot: Pilot, job: str) -> str | None:
    panel = screen(pilot).query_one(f"#tok-{job}-error", ErrorPanel)
    return plain(panel) if panel.display else None


async def test_text_is_tokenized_with_counts_cost_and_context(emulator_env, make_app):
    app = make_app(model=MODEL)
    async with app.run_test(size=SIZE) as pilot:
        text = "Hello world, how are you?"
        panel = await tokenize_text(pilot, text)
        n = len(emulator_ids(text))
        # Prices load beside the tokenization; if they come second, the shown cost is redone.
        await wait_until(pilot, lambda: "n/a" not in counts(panel), "the cost at the model's price")
        shown = counts(panel)
        assert f"Tokens {n}  Chars {len(text)}" in shown
        assert f"Chars/token {len(text) / n:.2f}" in shown
        assert "of 196,608" in shown and "max_model_len" in shown
        assert "Input $" in shown and "cached $" in shown and "n/a" not in shown
        assert "vLLM-style" in plain(screen(pilot).query_one("#tok-kind", Static))
        assert "Token 1 of" in detail(panel) and "Bytes 48 65 6C" in detail(panel)  # "Hel"
        assert "Hello" in "".join(shown_lines(panel.view))


async def test_cursor_on_a_split_emoji_shows_bytes_and_the_whole_character(emulator_env, make_app):
    app = make_app(model=MODEL)
    async with app.run_test(size=SIZE) as pilot:
        panel = await tokenize_text(pilot, "a 🦜")  # "a", " \xF0\x9F", "\xA6\x9C"
        panel.view.focus()
        await pilot.press("right")
        shown = detail(panel)
        assert "Token 2 of 3" in shown and "Bytes 20 F0 9F" in shown
        assert "<0xF0><0x9F>" in shown and "Part of" in shown and "🦜" in shown
        assert "split over tokens 2–3" in shown and "\ufffd" not in shown
        await pilot.press("end")
        assert "Token 3 of 3" in detail(panel) and "Bytes A6 9C" in detail(panel)
        await pilot.press("home")
        assert "Token 1 of 3" in detail(panel)


async def test_whitespace_toggle_makes_spaces_and_newlines_visible(emulator_env, make_app):
    app = make_app(model=MODEL)
    async with app.run_test(size=SIZE) as pilot:
        panel = await tokenize_text(pilot, "a b\tc\nd\x07")
        assert "·" not in "".join(shown_lines(panel.view))
        await pilot.press("ctrl+g")
        await pilot.pause()
        lines = shown_lines(panel.view)
        assert lines[0].startswith("a·b→   c↵") and lines[1].startswith("d␇")


async def test_chat_attribution_table(emulator_env, make_app):
    app = make_app(model=MODEL)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "tokenizer")
        s = screen(pilot)
        s.query_one("#tok-chat", TextArea).load_text("system: Be brief.\nuser: Hi there")
        await pilot.press("ctrl+n")  # Text → Chat
        await pilot.press("ctrl+t")
        await settle(pilot)
        panel = s.query_one("#tok-chat-panel", TokenPanel)
        rendered = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n"
        total = len(emulator_ids(rendered))
        assert f"Tokens {total}" in counts(panel)
        table = s.query_one("#tok-attrib", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[0] for r in rows] == ["1. system", "2. user", "answer prompt", "total"]
        assert rows[0][1] == str(len(emulator_ids("Be brief."))) and rows[1][1] == str(
            len(emulator_ids("Hi there"))
        )
        assert rows[-1][3] == str(total)
        assert sum(int(r[3]) for r in rows[:-1]) == total


async def test_detokenize_and_bad_ids(emulator_env, make_app):
    app = make_app(model=MODEL)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "tokenizer")
        s = screen(pilot)
        s.action_tab("tab-detok")
        ids = emulator_ids("Bonjour 🦜")
        field = s.query_one("#tok-ids", Input)
        field.value = json.dumps(ids)
        field.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "Bonjour 🦜" in plain(s.query_one("#tok-detok-out", Static))
        field.value = "12, x7"
        await pilot.press("enter")
        await settle(pilot)
        assert "'x7' is not a token id" in error_text(pilot, "detok")
        assert "Bonjour 🦜" in plain(s.query_one("#tok-detok-out", Static))  # the last good result stays
        field.value = " ".join(map(str, ids))
        await pilot.press("enter")
        await settle(pilot)
        assert error_text(pilot, "detok") is None


async def test_round_trip_on_the_emulator_is_identical(emulator_env, make_app):
    app = make_app(model=MODEL)
    async with app.run_test(size=SIZE) as pilot:
        await tokenize_text(pilot, "Round 🦜 trip")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "identical ✓" in plain(screen(pilot).query_one("#tok-roundtrip", Static))


async def test_compare_two_models(emulator_env, make_app):
    app = make_app(model=MODEL)
    async with app.run_test(size=SIZE) as pilot:
        await tokenize_text(pilot, "Same text, two models")
        s = screen(pilot)
        s.query_one("#tok-model-b", Select).value = SMALL
        s.action_tab("tab-compare")
        await pilot.press("ctrl+t")
        await settle(pilot)
        left, right = (
            counts(s.query_one("#tok-cmp-a", TokenPanel)),
            counts(s.query_one("#tok-cmp-b", TokenPanel)),
        )
        assert MODEL in left and SMALL in right
        assert "of 196,608" in left and "of 8,192" in right
        n = len(emulator_ids("Same text, two models"))
        assert f"Tokens {n}" in left and f"Tokens {n}" in right
        ids_a = [sp.id for sp in s.query_one("#tok-cmp-a", TokenPanel).view.layout_.spans]
        ids_b = [sp.id for sp in s.query_one("#tok-cmp-b", TokenPanel).view.layout_.spans]
        assert ids_a == emulator_ids("Same text, two models") and ids_b == emulator_ids(
            "Same text, two models", SMALL
        )


async def test_prefix_view_counts_reusable_tokens_and_the_saving(emulator_env, make_app):
    app = make_app(model=MODEL)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "tokenizer")
        s = screen(pilot)
        first = "You are a helpful assistant. Question one?"
        second = "You are a helpful assistant. Another question?"
        s.query_one("#tok-prefix-a", TextArea).load_text(first)
        s.query_one("#tok-prefix-b", TextArea).load_text(second)
        s.action_tab("tab-prefix")
        await pilot.press("ctrl+t")
        await settle(pilot)
        a, b = emulator_ids(first), emulator_ids(second)
        shared = next(i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y)
        summary = plain(s.query_one("#tok-prefix-summary", Static))
        assert f"Reusable prefix {shared} of {len(b)} tokens" in summary
        assert "saving at the cached price $0." in summary
        assert s.query_one("#tok-prefix-panel", TokenPanel).view.prefix_upto == shared


async def test_live_mode_keeps_the_newest_answer(emulator_env, make_app):
    app = make_app(model=MODEL)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "tokenizer")
        s = screen(pilot)
        emulator_env.state.faults.add("latency=2@serverless:/tokenize#times=1")  # the first answer is slow
        await pilot.press("ctrl+l")
        area = s.query_one("#tok-text", TextArea)
        area.focus()
        await pilot.press(*"old")
        await pilot.pause(0.4)  # past the debounce: the slow request is in flight
        assert s._seq["text"] >= 1
        await pilot.press(*" and new text")
        await pilot.pause(0.4)
        await settle(pilot)
        panel = s.query_one("#tok-text-panel", TokenPanel)
        assert f"Tokens {len(emulator_ids('old and new text'))}" in counts(panel)
        assert "new" in "".join(shown_lines(panel.view))
        # An answer to an older request that arrives now is dropped, whatever it holds.
        stale = s._seq["text"] - 1
        s.post_message(JobDone("text", stale, error=RuntimeError("stale")))
        await settle(pilot)
        assert error_text(pilot, "text") is None
        assert "new" in "".join(shown_lines(panel.view))


async def test_a_100_kb_text_loads_from_a_file_and_stays_navigable(emulator_env, make_app, tmp_path):
    path = tmp_path / "big.txt"
    line = "The quick brown fox jumps over the lazy dog 🦜 日本語.\n"
    text = line * (100_000 // len(line.encode()) + 1)
    path.write_text(text, encoding="utf-8")
    app = make_app(model=MODEL)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "tokenizer")
        await pilot.press("ctrl+o")
        await pilot.pause()
        pilot.app.screen.query_one("#tok-file-path", Input).value = str(path)
        await pilot.press("enter")
        await settle(pilot)
        s = screen(pilot)
        panel = s.query_one("#tok-text-panel", TokenPanel)
        assert f"Tokens {len(emulator_ids(text)):,}" in counts(panel)
        view = panel.view
        view.focus()
        await pilot.press("end")
        await pilot.pause()
        assert view.cursor == len(view.layout_.spans) - 1
        assert view.scroll_y > 0 and "lazy dog" in "".join(shown_lines(view))
        assert view.virtual_size.height >= text.count("\n")


async def test_a_file_that_is_not_text_is_refused_in_place(emulator_env, make_app, tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"ok\xff\xfe")
    app = make_app(model=MODEL)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "tokenizer")
        screen(pilot).action_open_file()
        await pilot.pause()
        pilot.app.screen.query_one("#tok-file-path", Input).value = str(path)
        await pilot.press("enter")
        await settle(pilot)
        assert "is not UTF-8 text (byte 2 is 0xFF)" in error_text(pilot, "text")


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("status=404@serverless:/tokenize", "no /tokenize endpoint"),
        ("malformed@serverless:/tokenize", "body is not JSON"),
        ("reset@serverless:/tokenize", "Could not reach"),
        ("status=503@serverless:/tokenize", "HTTP 503"),
    ],
)
async def test_errors_show_in_place_and_keep_the_last_result(emulator_env, make_app, fault, expected):
    app = make_app(model=MODEL)
    async with app.run_test(size=SIZE) as pilot:
        panel = await tokenize_text(pilot, "good text")
        good = counts(panel)
        emulator_env.state.faults.add(fault)
        screen(pilot).query_one("#tok-text", TextArea).load_text("other text that fails")
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert expected in error_text(pilot, "text")
        assert counts(panel) == good


async def test_unknown_model(emulator_env, make_app):
    app = make_app(model="nobody/unknown-model")
    async with app.run_test(size=SIZE) as pilot:
        await tokenize_text(pilot, "hello")
        shown = error_text(pilot, "text")
        assert "Unknown model 'nobody/unknown-model'" in shown and "Models, F3" in shown


async def test_text_longer_than_the_context_window(emulator_env, make_app):
    app = make_app(model=SMALL)
    async with app.run_test(size=SIZE) as pilot:
        text = "word " * 9000
        panel = await tokenize_text(pilot, text)
        n = len(emulator_ids(text, SMALL))
        assert n > 8192
        assert f"{n:,} tokens: longer than the context window of 8,192" in error_text(pilot, "text")
        assert f"Tokens {n:,}" in counts(panel) and "tokens over the window" in counts(panel)


async def test_tokenize_the_last_chat_request(emulator_env, make_app):
    from tm_tui.widgets.prompt_input import PromptInput

    app = make_app(model=MODEL)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "chat")
        prompt = pilot.app.screen.query_one(PromptInput)
        prompt.replace_text("What is a token?")
        prompt.focus()
        await pilot.press("enter")
        await settle(pilot)
        prompt.replace_text("And a prefix?")
        await pilot.app.run_action("open_section('tokenizer', 'from_chat')")
        await settle(pilot)
        s = screen(pilot)
        assert s.query_one("#tok-tabs").active == "tab-chat"
        assert "user: What is a token?" in s.query_one("#tok-chat", TextArea).text
        assert "Tokens" in counts(s.query_one("#tok-chat-panel", TokenPanel))
        assert "And a prefix?" in s.query_one("#tok-prefix-b", TextArea).text
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n")  # Chat → Prefix
        await pilot.press("ctrl+t")
        await settle(pilot)
        summary = plain(s.query_one("#tok-prefix-summary", Static))
        assert "Reusable prefix" in summary and "Reusable prefix 0 " not in summary


# ---- a llama.cpp-style server (respx) ----

LLAMA = "http://llama.localhost"


def _llama_tokenize(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    if "content" not in body:
        return httpx.Response(200, json={"tokens": []})  # llama-server ignores `prompt` without an error
    data = body["content"].encode()
    pieces = []
    for i in range(0, len(data), 2):  # two-byte tokens: any non-ASCII character may split
        chunk = data[i : i + 2]
        try:
            piece: object = chunk.decode()
        except UnicodeDecodeError:
            piece = list(chunk)
        pieces.append({"id": 1000 + i, "piece": piece})
    return httpx.Response(200, json={"tokens": pieces})


def _llama_detokenize(request: httpx.Request) -> httpx.Response:
    ids = json.loads(request.content)["tokens"]
    return httpx.Response(200, json={"content": " " + "x" * len(ids)})  # not what was tokenized


@pytest.fixture
def llama_server(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TENSORMESH_INFERENCE_API_KEY", "sk-local")
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{LLAMA}/v1/models").respond(
            200, json={"object": "list", "data": [{"id": "smollm2", "meta": {"n_ctx_train": 8192}}]}
        )
        router.post(f"{LLAMA}/tokenize").mock(side_effect=_llama_tokenize)
        router.post(f"{LLAMA}/detokenize").mock(side_effect=_llama_detokenize)
        router.post(f"{LLAMA}/apply-template").respond(
            200, json={"prompt": "<|im_start|>user\nHi<|im_end|>\n"}
        )
        yield router


async def test_a_llama_cpp_server_is_detected_and_its_pieces_used(llama_server, make_app):
    app = make_app(serverless_url=LLAMA, model="smollm2")
    async with app.run_test(size=SIZE) as pilot:
        panel = await tokenize_text(pilot, "Hé 🦜")
        shown = counts(panel)
        assert "llama.cpp" in shown and "Tokens 4" in shown  # 8 bytes in two-byte tokens
        assert "of 8,192" in shown and "model list" in shown
        assert "llama.cpp" in plain(screen(pilot).query_one("#tok-kind", Static))
        panel.view.focus()
        await pilot.press("right")
        assert "Bytes A9 20" in detail(panel)  # the tail of "é" and a space
        assert "Part of" in detail(panel) and "é" in detail(panel)
        await pilot.press("ctrl+r")
        await settle(pilot)
        trip = plain(screen(pilot).query_one("#tok-roundtrip", Static))
        assert "differs ✗" in trip


async def test_a_llama_cpp_chat_is_rendered_by_apply_template(llama_server, make_app):
    app = make_app(serverless_url=LLAMA, model="smollm2")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "tokenizer")
        s = screen(pilot)
        s.query_one("#tok-chat", TextArea).load_text("user: Hi")
        s.action_tab("tab-chat")
        await pilot.press("ctrl+t")
        await settle(pilot)
        view = s.query_one("#tok-chat-panel", TokenPanel).view
        assert view.layout_.text == "<|im_start|>user\nHi<|im_end|>\n"
        assert any(isinstance(route.calls, object) and route.call_count for route in llama_server.routes)


def test_section_is_registered_on_f7():
    from tm_tui.screens.sections import section

    s = section("tokenizer")
    assert s.key == "f7" and s.title == "Tokenizer"
    assert [c.title for c in s.commands] == ["Tokenize the last chat request"]


@pytest.mark.parametrize("view_cls", [TokenView])
def test_token_view_wraps_long_lines(view_cls):
    from tm_tui.widgets.token_view import wrap

    assert wrap("a" * 25, 10, False) == [(0, 10), (10, 20), (20, 25)]
    assert wrap("ab\ncd\n", 10, False) == [(0, 3), (3, 6)]
    text = "hello world, this wraps after spaces 🦜 and\tnot inside words\n"
    for whitespace in (False, True):
        lines = wrap(text, 12, whitespace)
        assert "".join(text[a:b] for a, b in lines) == text
        assert all(b == c for (_, b), (c, _) in zip(lines, lines[1:], strict=False))
        assert text[lines[0][0] : lines[0][1]] == "hello "
    assert view_cls.BINDINGS


async def test_prices_that_arrive_late_update_the_shown_cost(emulator_env, make_app):
    from decimal import Decimal

    from tm_tui.chat.cost import Pricing
    from tm_tui.screens.tokenizer import PricingLoaded

    app = make_app(model=MODEL)
    async with app.run_test(size=SIZE) as pilot:
        panel = await tokenize_text(pilot, "price me")
        n = len(emulator_ids("price me"))
        screen(pilot).post_message(PricingLoaded({}))
        await settle(pilot)
        assert "Input n/a" in counts(panel)
        screen(pilot).post_message(PricingLoaded({MODEL: Pricing(Decimal(1000), Decimal(1), Decimal(100))}))
        await settle(pilot)
        assert f"Input ${n / 1000:.3f}" in counts(panel) and f"cached ${n / 10000:.4f}" in counts(panel)


async def test_switching_surface_lists_its_models_and_tokenizes_there(emulator_env, make_app):
    from tm_tui.session import SessionChange

    app = make_app(model=MODEL)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "tokenizer")
        await pilot.app.change_session(SessionChange(surface="on_demand"))
        await settle(pilot)
        s = screen(pilot)
        assert "ada-llama-8b" in s.model_names and MODEL not in s.model_names
        s.query_one("#tok-model", Select).value = "ada-llama-8b"
        panel = await tokenize_text(pilot, "on demand")
        assert "ada-llama-8b" in counts(panel) and "Tokens" in counts(panel)
