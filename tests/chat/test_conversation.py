"""The conversation model the chat screen drives: request bodies, streaming into history, edits."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tm_tui.api.models.inference import ChatCompletionRequest, CompletionRequest, ResponseRequest
from tm_tui.chat.conversation import (
    ENDPOINTS,
    ChatSession,
    PromptHistory,
    build_request_body,
    request_messages,
)
from tm_tui.chat.metrics import TurnMetrics
from tm_tui.chat.modes import Mode
from tm_tui.chat.params import Params
from tm_tui.store.history import HistoryStore, MessageStatus


@pytest.fixture
def store(tmp_path: Path):
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        yield store


def answer(session: ChatSession, text: str, *, reasoning: str = "", cost: str | None = None) -> None:
    reply = session.begin_reply()
    reply.add(text=text, reasoning=reasoning)
    session.finish_reply(MessageStatus.COMPLETE, TurnMetrics(cost=None if cost is None else Decimal(cost)))


def roles(session: ChatSession) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in session.messages]


def test_nothing_reaches_history_before_the_first_message(store: HistoryStore) -> None:
    session = ChatSession.new(store, model="m", surface="serverless", system_prompt="Be terse.")
    assert session.conversation_id is None and store.list_conversations() == []
    session.configure(model="m2", params=Params(temperature=0.3))
    session.send("hello")
    [summary] = store.list_conversations()
    loaded = store.load_conversation(summary.id)
    assert (loaded.model, loaded.surface, loaded.system_prompt, loaded.title) == (
        "m2",
        "serverless",
        "Be terse.",
        "hello",
    )
    assert loaded.params["temperature"] == "0.3"


def test_the_user_message_is_saved_before_the_request_is_built(store: HistoryStore) -> None:
    session = ChatSession.new(store, model="m", system_prompt="Be terse.", params=Params(max_tokens=50))
    session.send("What is 2+2?")
    assert roles(ChatSession.resume(store, session.conversation_id)) == [("user", "What is 2+2?")]
    assert session.request_body() == {
        "model": "m",
        "messages": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "What is 2+2?"}],
        "max_tokens": 50,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert session.endpoint == "/v1/chat/completions"


def test_a_streamed_reply_is_saved_as_it_goes(store: HistoryStore) -> None:
    session = ChatSession.new(store, model="m")
    session.send("hi")
    reply = session.begin_reply()
    assert session.request_body()["messages"] == [
        {"role": "user", "content": "hi"}
    ]  # pending answer left out
    reply.add(text="Hel", reasoning="greet")
    session.save_partial()
    reply.add(text="lo")
    assert (
        store.load_conversation(session.conversation_id).messages[1].content == "Hel"
    )  # until the next save
    session.save_partial()
    saved = store.load_conversation(session.conversation_id).messages[1]
    assert (saved.content, saved.reasoning, saved.status) == ("Hello", "greet", MessageStatus.STREAMING)

    metrics = TurnMetrics(
        ttft_s=0.2, prompt_tokens=5, completion_tokens=2, cached_tokens=0, cost=Decimal("0.00001")
    )
    final = session.finish_reply(MessageStatus.COMPLETE, metrics, content="Hello!")
    assert (final.content, final.status, final.reasoning) == ("Hello!", MessageStatus.COMPLETE, "greet")
    assert TurnMetrics.from_dict(final.metrics) == metrics
    assert session.reply is None


def test_reply_guards(store: HistoryStore) -> None:
    session = ChatSession.new(store, model="m")
    with pytest.raises(RuntimeError):
        session.begin_reply()
    session.send("q")
    session.begin_reply()
    with pytest.raises(RuntimeError):
        session.begin_reply()


def test_an_error_keeps_the_partial_answer_and_its_message(store: HistoryStore) -> None:
    session = ChatSession.new(store, model="m")
    session.send("q")
    session.begin_reply().add(text="partial")
    final = session.finish_reply(MessageStatus.ERROR, error="connection lost")
    assert (final.content, final.status, final.error) == ("partial", MessageStatus.ERROR, "connection lost")


def test_history_sent_back_skips_empty_failed_answers_and_reasoning_by_default(store: HistoryStore) -> None:
    session = ChatSession.new(store, model="m")
    session.send("q1")
    answer(session, "a1", reasoning="r1")
    session.send("q2")
    session.begin_reply()
    session.finish_reply(MessageStatus.ERROR, error="503")  # nothing arrived
    session.send("q3")
    assert session.request_body()["messages"] == [
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "q2"},
        {"role": "user", "content": "q3"},
    ]
    with_reasoning = session.request_body(include_reasoning=True)["messages"]
    assert with_reasoning[1] == {"role": "assistant", "content": "a1", "reasoning": "r1"}


def test_regenerate_drops_the_last_answer(store: HistoryStore) -> None:
    session = ChatSession.new(store, model="m")
    assert not session.regenerate()
    session.send("q1")
    answer(session, "a1")
    session.send("q2")
    answer(session, "a2")
    assert session.regenerate()
    assert roles(session) == [("user", "q1"), ("assistant", "a1"), ("user", "q2")]
    assert session.request_body()["messages"][-1] == {"role": "user", "content": "q2"}
    assert roles(ChatSession.resume(store, session.conversation_id)) == roles(session)


def test_edit_and_resend_truncates_after_the_edited_message(store: HistoryStore) -> None:
    session = ChatSession.new(store, model="m")
    for n in (1, 2, 3):
        session.send(f"q{n}")
        answer(session, f"a{n}")
    with pytest.raises(ValueError, match="only a user message"):
        session.edit_and_resend(1, "x")
    session.edit_and_resend(2, "q2 edited")
    assert roles(session) == [("user", "q1"), ("assistant", "a1"), ("user", "q2 edited")]
    assert roles(ChatSession.resume(store, session.conversation_id)) == roles(session)


def test_delete_turn_and_clear(store: HistoryStore) -> None:
    session = ChatSession.new(store, model="m")
    for n in (1, 2):
        session.send(f"q{n}")
        answer(session, f"a{n}")
    session.delete_turn(0)
    assert roles(session) == [("user", "q2"), ("assistant", "a2")]
    session.clear()
    assert session.messages == [] and store.load_conversation(session.conversation_id).messages == []


def test_conversation_cost_counts_unknown_answers(store: HistoryStore) -> None:
    session = ChatSession.new(store, model="m")
    session.send("q1")
    answer(session, "a1", cost="0.0001")
    session.send("q2")
    answer(session, "a2")  # usage never arrived
    session.send("q3")
    answer(session, "a3", cost="0.00025")
    cost = session.cost()
    assert (cost.total, cost.priced_turns, cost.unpriced_turns) == (Decimal("0.00035"), 2, 1)


def test_completion_mode_sends_the_last_prompt_alone(store: HistoryStore) -> None:
    session = ChatSession.new(
        store,
        model="m",
        mode=Mode.COMPLETION,
        system_prompt="ignored",
        params=Params(max_tokens=5, stop=("\n",)),
    )
    session.send("Once upon")
    answer(session, " a time")
    session.send("The quick brown")
    assert session.endpoint == "/v1/completions"
    assert session.request_body() == {
        "model": "m", "prompt": "The quick brown", "max_tokens": 5, "stop": ["\n"], "stream": True,
        "stream_options": {"include_usage": True},
    }  # fmt: skip


def test_responses_mode_uses_input_and_instructions(store: HistoryStore) -> None:
    session = ChatSession.new(
        store, model="m", mode="responses", system_prompt="Be kind.",
        params=Params(max_tokens=64, reasoning_effort="medium"),
    )  # fmt: skip
    session.send("hi")
    assert session.request_body() == {
        "model": "m", "input": [{"role": "user", "content": "hi"}], "instructions": "Be kind.",
        "max_output_tokens": 64, "reasoning": {"effort": "medium"}, "stream": True,
    }  # fmt: skip
    assert "stream" not in session.request_body(stream=False)


@pytest.mark.parametrize(
    ("mode", "model_cls"),
    [
        (Mode.CHAT, ChatCompletionRequest),
        (Mode.COMPLETION, CompletionRequest),
        (Mode.RESPONSES, ResponseRequest),
    ],
)
def test_bodies_are_valid_requests_for_the_api_layer(store, mode, model_cls) -> None:
    params = Params(temperature=1.0, top_k=5, stop=("x",), thinking_budget=2048, json_mode=True, seed=3)
    session = ChatSession.new(store, model="m", mode=mode, system_prompt="sys", params=params)
    session.send("hello")
    body = session.request_body()
    assert model_cls.model_validate(body).to_wire() == body  # what the client will put on the wire
    assert ENDPOINTS[mode] == session.endpoint


def test_resume_restores_settings(store: HistoryStore) -> None:
    session = ChatSession.new(store, model="m", mode="responses", params=Params(seed=9, stop=("a,b",)))
    session.send("q")
    resumed = ChatSession.resume(store, session.conversation_id)
    assert (resumed.model, resumed.mode, resumed.params) == (
        "m",
        Mode.RESPONSES,
        Params(seed=9, stop=("a,b",)),
    )
    resumed.configure(mode="chat", system_prompt="new")
    again = ChatSession.resume(store, session.conversation_id)
    assert (again.mode, again.system_prompt) == (Mode.CHAT, "new")


def test_request_messages_without_system_prompt() -> None:
    assert request_messages([], "   ") == []
    assert build_request_body("chat", "m", [], stream=False) == {"model": "m", "messages": []}


def test_prompt_history_walks_back_and_returns_to_the_draft(store: HistoryStore) -> None:
    first = ChatSession.new(store, model="m")
    first.send("one")
    second = ChatSession.new(store, model="m")
    second.send("two")
    second.send("three")

    recall = PromptHistory(store)
    assert recall.next() is None
    assert recall.previous("my draft") == "three"
    assert recall.previous("three") == "two"
    assert recall.previous("two") == "one"  # across conversations
    assert recall.previous("one") is None
    assert recall.next() == "two"
    assert recall.next() == "three"
    assert recall.next() == "my draft"
    assert recall.next() is None
    second.send("four")
    recall.reset()
    assert recall.previous("") == "four"
