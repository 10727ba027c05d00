"""The history store: persistence as the chat happens, crash recovery, search, edits, migrations."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tm_tui.config.secrets import remember_in_use
from tm_tui.store import history
from tm_tui.store.history import (
    SCHEMA_VERSION,
    HistoryError,
    HistoryStore,
    MessageStatus,
    Mode,
    default_history_path,
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / history.HISTORY_FILE


@pytest.fixture
def store(path: Path):
    with HistoryStore(path) as store:
        yield store


def chat(store: HistoryStore, *pairs: tuple[str, str], **settings) -> int:
    conversation_id = store.create_conversation(**settings)
    for question, answer in pairs:
        store.add_message(conversation_id, "user", question)
        store.add_message(conversation_id, "assistant", answer)
    return conversation_id


def contents(store: HistoryStore, conversation_id: int) -> list[tuple[int, str, str]]:
    return [(m.position, m.role, m.content) for m in store.load_conversation(conversation_id).messages]


def test_round_trip_keeps_settings_and_messages_in_order(store: HistoryStore) -> None:
    cid = store.create_conversation(
        profile="work", surface="on_demand", model="m1", mode=Mode.RESPONSES,
        system_prompt="Be brief.", params={"temperature": "0.2"},
    )  # fmt: skip
    store.add_message(cid, "user", "one")
    store.add_message(cid, "assistant", "two", reasoning="why", model="m1", metrics={"ttft_s": 0.5})

    loaded = store.load_conversation(cid)
    assert (loaded.profile, loaded.surface, loaded.model, loaded.mode) == (
        "work",
        "on_demand",
        "m1",
        Mode.RESPONSES,
    )
    assert loaded.system_prompt == "Be brief." and loaded.params == {"temperature": "0.2"}
    assert contents(store, cid) == [(0, "user", "one"), (1, "assistant", "two")]
    answer = loaded.messages[1]
    assert (answer.reasoning, answer.model, answer.metrics, answer.status) == (
        "why", "m1", {"ttft_s": 0.5}, MessageStatus.COMPLETE,
    )  # fmt: skip


def test_unknown_conversation_raises_key_error(store: HistoryStore) -> None:
    with pytest.raises(KeyError):
        store.load_conversation(404)


def test_the_first_user_message_titles_the_conversation(store: HistoryStore) -> None:
    cid = store.create_conversation()
    store.add_message(cid, "user", "\n\n  What is the capital of France?  \nMore detail here")
    store.add_message(cid, "user", "second question")
    assert store.load_conversation(cid).title == "What is the capital of France?"

    long = store.create_conversation()
    store.add_message(long, "user", "x" * 200)
    title = store.load_conversation(long).title
    assert len(title) == history.AUTO_TITLE_CHARS and title.endswith("…")


def test_rename_wins_over_auto_title(store: HistoryStore) -> None:
    cid = store.create_conversation()
    store.rename(cid, "  Mine  ")
    store.add_message(cid, "user", "hello")
    assert store.load_conversation(cid).title == "Mine"


def test_streamed_answer_is_saved_in_place_and_finished(store: HistoryStore) -> None:
    cid = chat(store)
    store.add_message(cid, "user", "hi")
    mid = store.begin_assistant_message(cid, model="m")
    assert store.load_conversation(cid).messages[1].status is MessageStatus.STREAMING
    store.append_partial(mid, "Hel", "thinking")
    store.append_partial(mid, "Hello", "thinking more")
    partial = store.load_conversation(cid).messages[1]
    assert (partial.content, partial.reasoning) == ("Hello", "thinking more")

    store.finish_message(mid, MessageStatus.STOPPED, metrics={"cost": "0.0001"}, content="Hello!")
    done = store.load_conversation(cid).messages[1]
    assert (done.status, done.content, done.reasoning, done.metrics) == (
        MessageStatus.STOPPED, "Hello!", "thinking more", {"cost": "0.0001"},
    )  # fmt: skip


def test_error_text_is_kept(store: HistoryStore) -> None:
    cid = chat(store)
    mid = store.begin_assistant_message(cid)
    store.finish_message(mid, "error", error="HTTP 503: overloaded")
    message = store.load_conversation(cid).messages[0]
    assert (message.status, message.error) == (MessageStatus.ERROR, "HTTP 503: overloaded")


def test_reopening_marks_an_unfinished_answer_interrupted_and_keeps_its_text(path: Path) -> None:
    with HistoryStore(path) as store:
        cid = chat(store, ("q", "a"))
        store.add_message(cid, "user", "next")
        mid = store.begin_assistant_message(cid)
        store.append_partial(mid, "partial answer", "partial thought")
    with HistoryStore(path) as store:
        message = store.load_conversation(cid).messages[-1]
        assert (message.id, message.status) == (mid, MessageStatus.INTERRUPTED)
        assert (message.content, message.reasoning) == ("partial answer", "partial thought")
        assert store.list_conversations("partial")[0].id == cid  # indexed once no longer streaming


_KILLED_MID_STREAM = """
import os, signal, sys
from pathlib import Path
from tm_tui.store.history import HistoryStore
store = HistoryStore(Path(sys.argv[1]))
cid = store.create_conversation(model="m")
store.add_message(cid, "user", "tell me a story")
mid = store.begin_assistant_message(cid)
store.append_partial(mid, "Once upon", "")
store.append_partial(mid, "Once upon a time", "plot")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_process_loses_nothing_that_was_saved(path: Path) -> None:
    child = subprocess.run([sys.executable, "-c", _KILLED_MID_STREAM, str(path)], capture_output=True)
    assert child.returncode == -9, child.stderr
    with HistoryStore(path) as store:
        [summary] = store.list_conversations()
        messages = store.load_conversation(summary.id).messages
    assert [(m.role, m.content, m.status) for m in messages] == [
        ("user", "tell me a story", MessageStatus.COMPLETE),
        ("assistant", "Once upon a time", MessageStatus.INTERRUPTED),
    ]
    assert messages[1].reasoning == "plot"


def test_search_matches_titles_and_every_word_of_a_message(store: HistoryStore) -> None:
    assert store.has_full_text_search
    france = chat(store, ("capital of France?", "Paris is the capital."))
    rust = chat(store, ("Explain Rust lifetimes", "Lifetimes describe how long references live."))
    store.rename(rust, "borrow checker notes")

    assert [c.id for c in store.list_conversations("paris")] == [france]
    assert [c.id for c in store.list_conversations("refer LIFETIME")] == [rust]  # prefixes, any case
    assert [c.id for c in store.list_conversations("checker")] == [rust]  # title substring
    assert store.list_conversations("paris lifetimes") == []  # all words in one message
    assert {c.id for c in store.list_conversations("")} == {france, rust}


@pytest.mark.parametrize("query", ['"', "AND", "paris OR", "NEAR(", "*", "col:x", "100%", "a_b", "\\"])
def test_search_treats_query_syntax_as_text(store: HistoryStore, query: str) -> None:
    chat(store, ("plain", "text"))
    assert store.list_conversations(query) == []  # no exception, nothing spuriously matched


def test_like_wildcards_in_titles_are_literal(store: HistoryStore) -> None:
    percent = chat(store, title="100% done")
    chat(store, title="1000 done")
    assert [c.id for c in store.list_conversations("100%")] == [percent]


def test_search_falls_back_to_like_without_fts5(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "_fts5_available", lambda conn: False)
    with HistoryStore(path) as store:
        assert not store.has_full_text_search
        cid = chat(store, ("alpha beta", "gamma delta"))
        assert [c.id for c in store.list_conversations("mma del")] == [cid]  # substring
        assert store.list_conversations("zeta") == []


def test_edits_and_deletes_keep_the_search_index_in_step(store: HistoryStore) -> None:
    cid = chat(store, ("first", "original answer"))
    answer = store.load_conversation(cid).messages[1]
    store.edit_message(answer.id, "replacement")
    assert store.list_conversations("original") == []
    assert [c.id for c in store.list_conversations("replacement")] == [cid]
    store.clear(cid)
    assert store.list_conversations("replacement") == []
    assert store.load_conversation(cid).messages == []


def test_streaming_text_is_searchable_once_finished(store: HistoryStore) -> None:
    cid = chat(store)
    mid = store.begin_assistant_message(cid)
    store.append_partial(mid, "xylophone")
    assert store.list_conversations("xylophone") == []
    store.finish_message(mid, MessageStatus.COMPLETE)
    assert [c.id for c in store.list_conversations("xylophone")] == [cid]


def test_list_is_newest_first_and_pages(store: HistoryStore) -> None:
    ids = [chat(store, (f"q{i}", f"a{i}")) for i in range(5)]
    store.add_message(ids[1], "user", "bump")  # touches the conversation
    listed = store.list_conversations(limit=3)
    assert [c.id for c in listed] == [ids[1], ids[4], ids[3]]
    assert [c.id for c in store.list_conversations(limit=3, offset=3)] == [ids[2], ids[0]]
    assert listed[0].message_count == 3 and listed[0].title == "q1"


def test_truncate_after_drops_later_messages(store: HistoryStore) -> None:
    cid = chat(store, ("q1", "a1"), ("q2", "a2"))
    store.truncate_after(cid, 1)
    assert contents(store, cid) == [(0, "user", "q1"), (1, "assistant", "a1")]
    store.add_message(cid, "user", "q3")
    assert contents(store, cid)[-1] == (2, "user", "q3")


def test_delete_turn_takes_a_users_answers_and_closes_the_gap(store: HistoryStore) -> None:
    cid = chat(store, ("q1", "a1"), ("q2", "a2"), ("q3", "a3"))
    store.delete_turn(cid, 2)  # q2 + a2
    assert contents(store, cid) == [
        (0, "user", "q1"),
        (1, "assistant", "a1"),
        (2, "user", "q3"),
        (3, "assistant", "a3"),
    ]
    store.delete_turn(cid, 1)  # an answer alone
    assert contents(store, cid) == [(0, "user", "q1"), (1, "user", "q3"), (2, "assistant", "a3")]
    store.delete_turn(cid, 1)  # the last turn
    assert contents(store, cid) == [(0, "user", "q1")]
    store.delete_turn(cid, 7)  # out of range: nothing happens
    assert contents(store, cid) == [(0, "user", "q1")]


def test_delete_conversation_removes_its_messages(store: HistoryStore, path: Path) -> None:
    keep = chat(store, ("keep me", "ok"))
    gone = chat(store, ("remove me", "ok"))
    store.delete_conversation(gone)
    assert [c.id for c in store.list_conversations()] == [keep]
    assert store.list_conversations("remove") == []
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT COUNT(*) FROM messages WHERE conversation_id = ?", (gone,)).fetchone() == (
            0,
        )


def test_update_conversation_checks_fields(store: HistoryStore) -> None:
    cid = chat(store)
    store.update_conversation(cid, model="m2", mode="completion", params={"seed": "7"})
    loaded = store.load_conversation(cid)
    assert (loaded.model, loaded.mode, loaded.params) == ("m2", Mode.COMPLETION, {"seed": "7"})
    with pytest.raises(TypeError, match="unknown conversation fields: id"):
        store.update_conversation(cid, id=9)
    with pytest.raises(ValueError):
        store.update_conversation(cid, mode="poetry")


def test_prompt_history_is_newest_first_without_repeats(store: HistoryStore, monkeypatch) -> None:
    monkeypatch.setattr(history, "PROMPT_HISTORY_LIMIT", 3)
    for prompt in ["a", "b", "b", "  ", "c", "d"]:
        store.add_prompt(prompt)
    assert store.recent_prompts() == ["d", "c", "b"]
    assert store.recent_prompts(limit=2) == ["d", "c"]


def test_file_uses_wal_and_current_schema(store: HistoryStore, path: Path) -> None:
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert raw.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


_V1_FILE = """
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT '', created REAL NOT NULL, updated REAL NOT NULL,
    profile TEXT, surface TEXT, model TEXT,
    mode TEXT NOT NULL DEFAULT 'chat' CHECK (mode IN ('chat', 'completion', 'responses')),
    system_prompt TEXT NOT NULL DEFAULT '', params TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX conversations_updated ON conversations(updated DESC);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL DEFAULT '',
    reasoning TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'complete', error TEXT, model TEXT,
    metrics TEXT NOT NULL DEFAULT '{}', created REAL NOT NULL, updated REAL NOT NULL
);
CREATE INDEX messages_by_position ON messages(conversation_id, position);
INSERT INTO conversations (id, title, created, updated, model) VALUES (1, 'old chat', 1, 2, 'm');
INSERT INTO messages (conversation_id, position, role, content, status, created, updated)
VALUES (1, 0, 'user', 'ancient question', 'complete', 1, 1),
       (1, 1, 'assistant', 'half an ans', 'streaming', 2, 2);
PRAGMA user_version = 1;
"""


def test_a_version_1_file_is_migrated_with_its_data(path: Path) -> None:
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as raw:
        raw.executescript(_V1_FILE)
    with HistoryStore(path) as store:
        assert [c.id for c in store.list_conversations("ancient")] == [1]  # backfilled index
        assert store.load_conversation(1).messages[1].status is MessageStatus.INTERRUPTED
        store.add_prompt("works")  # the v3 table exists
        assert store.recent_prompts() == ["works"]
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_a_failed_migration_leaves_the_file_at_its_old_version(path: Path, monkeypatch) -> None:
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as raw:
        raw.executescript(_V1_FILE)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE prompt_history (id INTEGER PRIMARY KEY)")
        raise sqlite3.OperationalError("disk on fire")

    monkeypatch.setattr(history, "_MIGRATIONS", (*history._MIGRATIONS[:2], broken))
    with pytest.raises(HistoryError, match="disk on fire"):
        HistoryStore(path)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (2,)  # v2 committed, v3 rolled back
        assert raw.execute("SELECT name FROM sqlite_master WHERE name = 'prompt_history'").fetchone() is None


def test_a_file_from_a_newer_version_is_refused_and_untouched(path: Path) -> None:
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE future (x)")
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="newer tm-tui"):
        HistoryStore(path)
    assert path.read_bytes() == before


def test_a_corrupt_file_is_reported(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryError, match="unreadable"):
        HistoryStore(path)


def test_default_path_follows_tm_tui_data_dir(tmp_path: Path) -> None:
    env = {"TM_TUI_DATA_DIR": str(tmp_path / "d")}
    assert default_history_path(env) == tmp_path / "d" / "history.sqlite3"
    with HistoryStore.open_default(env) as store:
        assert store.path.exists()


def test_threads_can_write_at_once(store: HistoryStore) -> None:
    ids = [store.create_conversation() for _ in range(4)]
    failures: list[BaseException] = []

    def stream(cid: int) -> None:
        try:
            store.add_message(cid, "user", "go")
            mid = store.begin_assistant_message(cid)
            for n in range(50):
                store.append_partial(mid, "x" * n)
            store.finish_message(mid, MessageStatus.COMPLETE)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=stream, args=(cid,)) for cid in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    for cid in ids:
        assert [(m.content, m.status) for m in store.load_conversation(cid).messages] == [
            ("go", MessageStatus.COMPLETE), ("x" * 49, MessageStatus.COMPLETE),
        ]  # fmt: skip
    assert os.path.getsize(store.path) > 0


def test_an_error_quoting_a_credential_in_use_is_stored_masked(store: HistoryStore, path: Path) -> None:
    remember_in_use("tmk_history_key_0123456789")
    cid = chat(store)
    mid = store.begin_assistant_message(cid)
    store.finish_message(mid, "error", error="HTTP 401: bad key tmk_history_key_0123456789")
    assert store.load_conversation(cid).messages[-1].error == "HTTP 401: bad key tmk_…6789"
    assert b"tmk_history_key_0123456789" not in b"".join(p.read_bytes() for p in path.parent.iterdir())
