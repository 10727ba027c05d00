"""Export to Markdown and to JSON in OpenAI `messages` form."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tm_tui.chat.conversation import ChatSession
from tm_tui.chat.export import to_markdown, to_openai_json
from tm_tui.chat.metrics import TurnMetrics
from tm_tui.chat.params import Params
from tm_tui.store.history import HistoryStore, MessageStatus

HOSTILE = "[bold red]ALERT[/bold red] \x1b[31mred\x1b[0m </details> <script>x</script>"


@pytest.fixture
def conversation(tmp_path: Path):
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        session = ChatSession.new(
            store, model="m/x", surface="serverless", system_prompt="Be brief.",
            params=Params(temperature=0.2, stop=("END",)),
        )  # fmt: skip
        session.send("What is 2+2?")
        reply = session.begin_reply()
        reply.add(text="4", reasoning="Simple arithmetic.")
        session.finish_reply(
            MessageStatus.COMPLETE,
            TurnMetrics(ttft_s=0.123, total_s=1.5, tokens_per_s=40.0, tokens_estimated=False, prompt_tokens=20,
                        completion_tokens=1, cached_tokens=0, cost=Decimal("0.000012"), finish_reason="stop",
                        request_id="req_9"),
        )  # fmt: skip
        session.send(HOSTILE)
        session.begin_reply().add(text="partial")
        session.finish_reply(MessageStatus.ERROR, TurnMetrics(ttft_s=0.2), error="HTTP 503: busy")
        yield store.load_conversation(session.conversation_id)


def test_json_is_an_openai_messages_body(conversation) -> None:
    body = json.loads(to_openai_json(conversation))
    assert body == {
        "model": "m/x",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "4"},
            {"role": "user", "content": HOSTILE},
            {"role": "assistant", "content": "partial"},
        ],
        "temperature": 0.2,
        "stop": ["END"],
    }
    with_reasoning = json.loads(to_openai_json(conversation, include_reasoning=True))
    assert with_reasoning["messages"][2]["reasoning"] == "Simple arithmetic."


def test_markdown_has_header_turns_reasoning_and_metrics(conversation) -> None:
    text = to_markdown(conversation)
    assert text.startswith("# What is 2+2?\n")
    assert "- Model: `m/x`" in text and "- Surface: serverless" in text
    assert '`temperature=0.2`, `stop=["END"]`' in text
    assert "- Cost: $0.000012 (1 answers without a known cost)" in text
    assert "## System\n\nBe brief.\n" in text
    assert "<details>\n<summary>Reasoning</summary>\n\nSimple arithmetic.\n\n</details>\n\n4\n" in text
    assert (
        "_TTFT 123 ms · total 1.50 s · — tok/s · 20 prompt / 1 completion / 0 cached · "  # 1 token: no rate
        "$0.000012 · finish stop · req_9_"
    ) in text
    assert "> _failed: HTTP 503: busy_" in text
    assert "usage unavailable · cost unknown" in text


def test_untrusted_text_is_exported_verbatim(conversation) -> None:
    assert HOSTILE in to_markdown(conversation)
    assert json.loads(to_openai_json(conversation))["messages"][3]["content"] == HOSTILE


def test_empty_conversation(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        cid = store.create_conversation(model="m")
        empty = store.load_conversation(cid)
    assert to_markdown(empty).startswith("# Untitled conversation\n")
    assert json.loads(to_openai_json(empty)) == {"model": "m", "messages": []}
