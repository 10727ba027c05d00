"""Conversation history: one SQLite file in the data dir, saved as the chat happens.

The user message is written before its request is sent and the answer is updated in place while it
streams, so a crash or a kill loses nothing that had arrived: on the next open, any answer still
marked `streaming` becomes `interrupted` with its partial text kept.

One connection (`check_same_thread=False`) guarded by a lock serves the UI thread and workers; every
call is a short transaction. WAL with `synchronous=NORMAL` survives a killed process (only a power
cut can drop the last commits) and lets readers run during writes. The schema is versioned with
`PRAGMA user_version` and upgraded in order by `_MIGRATIONS`; a file from a newer tm-tui is refused
rather than touched.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from tm_tui.chat.modes import Mode
from tm_tui.config.secrets import scrub

HISTORY_FILE = "history.sqlite3"
AUTO_TITLE_CHARS = 60
PROMPT_HISTORY_LIMIT = 1000


class MessageStatus(StrEnum):
    COMPLETE = "complete"
    STREAMING = "streaming"
    STOPPED = "stopped"  # the user pressed Esc; partial text kept
    ERROR = "error"
    TRUNCATED = "truncated"  # cut by max_tokens / length
    INTERRUPTED = "interrupted"  # the app died mid-stream; set on the next open


class HistoryError(Exception):
    """The history file cannot be used (corrupt, from a newer version, unwritable)."""


@dataclass(frozen=True)
class StoredMessage:
    id: int
    conversation_id: int
    position: int
    role: str
    content: str
    reasoning: str
    status: MessageStatus
    error: str | None
    model: str | None
    metrics: dict[str, Any]
    created: float
    updated: float


@dataclass(frozen=True)
class ConversationSummary:
    id: int
    title: str
    created: float
    updated: float
    profile: str | None
    surface: str | None
    model: str | None
    mode: Mode
    message_count: int


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    created: float
    updated: float
    profile: str | None
    surface: str | None
    model: str | None
    mode: Mode
    system_prompt: str
    params: dict[str, Any]
    messages: list[StoredMessage] = field(default_factory=list)


# --- schema -------------------------------------------------------------------------------------

_V1 = """
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    updated REAL NOT NULL,
    profile TEXT,
    surface TEXT,
    model TEXT,
    mode TEXT NOT NULL DEFAULT 'chat' CHECK (mode IN ('chat', 'completion', 'responses')),
    system_prompt TEXT NOT NULL DEFAULT '',
    params TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX conversations_updated ON conversations(updated DESC);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    reasoning TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'complete',
    error TEXT,
    model TEXT,
    metrics TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX messages_by_position ON messages(conversation_id, position);
"""

_V3 = """
CREATE TABLE prompt_history (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    created REAL NOT NULL
);
"""

# Messages are indexed once they stop streaming, so append_partial stays a plain UPDATE.
_FTS = """
CREATE VIRTUAL TABLE message_fts USING fts5(content, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER message_fts_insert AFTER INSERT ON messages WHEN new.status != 'streaming' BEGIN
    INSERT INTO message_fts(rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER message_fts_update AFTER UPDATE OF content, status ON messages
WHEN new.status != 'streaming' BEGIN
    DELETE FROM message_fts WHERE rowid = old.id;
    INSERT INTO message_fts(rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER message_fts_delete AFTER DELETE ON messages BEGIN
    DELETE FROM message_fts WHERE rowid = old.id;
END;
INSERT INTO message_fts(rowid, content) SELECT id, content FROM messages WHERE status != 'streaming';
"""


def _fts5_available(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(x)")
    except sqlite3.OperationalError:
        return False
    conn.execute("DROP TABLE temp.fts5_probe")
    return True


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # Not executescript(): that commits first, and a migration must be one transaction.
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""


def _v2_search_index(conn: sqlite3.Connection) -> None:
    # Without FTS5 the store falls back to LIKE; nothing to create.
    if _fts5_available(conn):
        _run_script(conn, _FTS)


# Append only: entry i upgrades a file from user_version i to i + 1.
_MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    lambda conn: _run_script(conn, _V1),
    _v2_search_index,
    lambda conn: _run_script(conn, _V3),
)
SCHEMA_VERSION = len(_MIGRATIONS)


# --- the store ----------------------------------------------------------------------------------


def default_history_path(env: Mapping[str, str] | None = None) -> Path:
    from tm_tui.config.paths import tui_data_dir  # late: the store itself needs only a path

    return tui_data_dir(env) / HISTORY_FILE


def _now() -> float:
    return time.time()


def _auto_title(text: str) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= AUTO_TITLE_CHARS else line[: AUTO_TITLE_CHARS - 1].rstrip() + "…"


def _fts_query(search: str) -> str:
    """Every word must appear (as a prefix); quoting makes FTS syntax in user input literal.

    Words without a letter or digit are dropped: the tokenizer would index nothing for them.
    """
    words = [word for word in search.split() if any(ch.isalnum() for ch in word)]
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def _like_pattern(search: str) -> str:
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_MESSAGE_COLUMNS = (
    "id, conversation_id, position, role, content, reasoning, status, error, model, metrics, created, updated"
)
_SUMMARY_SELECT = """
SELECT c.id, c.title, c.created, c.updated, c.profile, c.surface, c.model, c.mode,
       (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)
FROM conversations c
"""
_CONVERSATION_FIELDS = frozenset({"title", "profile", "surface", "model", "mode", "system_prompt", "params"})


def _message(row: tuple) -> StoredMessage:
    return StoredMessage(
        id=row[0],
        conversation_id=row[1],
        position=row[2],
        role=row[3],
        content=row[4],
        reasoning=row[5],
        status=MessageStatus(row[6]),
        error=row[7],
        model=row[8],
        metrics=json.loads(row[9]) if row[9] and row[9] != "{}" else {},
        created=row[10],
        updated=row[11],
    )


class HistoryStore:
    """Thread-safe access to the history file. Use as a context manager or call `close()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"cannot open history file {path}: {exc}") from exc
        try:
            self._prepare()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise HistoryError(f"history file {path} is unreadable: {exc}") from exc
        except HistoryError:
            self._conn.close()
            raise

    @classmethod
    def open_default(cls, env: Mapping[str, str] | None = None) -> HistoryStore:
        return cls(default_history_path(env))

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- setup

    def _prepare(self) -> None:
        conn = self._conn
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # before anything writes
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"history file {self.path} was written by a newer tm-tui (schema {version}, "
                f"this version knows {SCHEMA_VERSION}); it was left untouched"
            )
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        for target in range(version, SCHEMA_VERSION):
            with self._transaction():
                _MIGRATIONS[target](conn)
                conn.execute(f"PRAGMA user_version = {target + 1}")
        self._has_fts = (
            conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'message_fts'").fetchone() is not None
        )
        with self._transaction():
            conn.execute(
                "UPDATE messages SET status = ?, updated = ? WHERE status = ?",
                (MessageStatus.INTERRUPTED, _now(), MessageStatus.STREAMING),
            )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @property
    def has_full_text_search(self) -> bool:
        return self._has_fts

    # -- conversations

    def create_conversation(
        self,
        *,
        title: str = "",
        profile: str | None = None,
        surface: str | None = None,
        model: str | None = None,
        mode: Mode | str = Mode.CHAT,
        system_prompt: str = "",
        params: Mapping[str, Any] | None = None,
    ) -> int:
        now = _now()
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO conversations (title, created, updated, profile, surface, model, mode,"
                " system_prompt, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    title,
                    now,
                    now,
                    profile,
                    surface,
                    model,
                    Mode(mode),
                    system_prompt,
                    json.dumps(params or {}),
                ),
            )
            if cursor.lastrowid is None:  # set by every INSERT: never, but the type allows it
                raise HistoryError("the conversation was not stored")
            return cursor.lastrowid

    def update_conversation(self, conversation_id: int, **fields: Any) -> None:
        """Change any of title, profile, surface, model, mode, system_prompt, params."""
        unknown = set(fields) - _CONVERSATION_FIELDS
        if unknown:
            raise TypeError(f"unknown conversation fields: {', '.join(sorted(unknown))}")
        if "mode" in fields:
            fields["mode"] = Mode(fields["mode"])
        if "params" in fields:
            fields["params"] = json.dumps(fields["params"] or {})
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._transaction() as conn:
            conn.execute(
                f"UPDATE conversations SET {assignments}, updated = ? WHERE id = ?",
                (*fields.values(), _now(), conversation_id),
            )

    def rename(self, conversation_id: int, title: str) -> None:
        self.update_conversation(conversation_id, title=title.strip())

    def delete_conversation(self, conversation_id: int) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def clear(self, conversation_id: int) -> None:
        """Remove every message but keep the conversation and its settings."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
            self._touch(conn, conversation_id)

    def list_conversations(
        self, search: str = "", *, limit: int = 50, offset: int = 0
    ) -> list[ConversationSummary]:
        """Newest first. `search` matches the title (substring) or any message (every word)."""
        where, args = "", []
        if search.strip():
            fts_query = _fts_query(search) if self._has_fts else ""
            if fts_query:
                matching = "SELECT rowid FROM message_fts WHERE message_fts MATCH ?"
                args = [_like_pattern(search.strip()), fts_query]
            else:
                matching = "SELECT id FROM messages WHERE content LIKE ? ESCAPE '\\'"
                args = [_like_pattern(search.strip()), _like_pattern(search.strip())]
            where = (
                "WHERE c.title LIKE ? ESCAPE '\\' OR c.id IN "
                f"(SELECT conversation_id FROM messages WHERE id IN ({matching}))"
            )
        with self._lock:
            rows = self._conn.execute(
                f"{_SUMMARY_SELECT} {where} ORDER BY c.updated DESC, c.id DESC LIMIT ? OFFSET ?",
                (*args, limit, offset),
            ).fetchall()
        return [
            ConversationSummary(
                id=r[0], title=r[1], created=r[2], updated=r[3], profile=r[4], surface=r[5],
                model=r[6], mode=Mode(r[7]), message_count=r[8],
            )
            for r in rows
        ]  # fmt: skip

    def has_conversation(self, conversation_id: int) -> bool:
        with self._lock:
            found = self._conn.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,))
            return found.fetchone() is not None

    def load_conversation(self, conversation_id: int) -> Conversation:
        with self._lock:
            row = self._conn.execute(
                "SELECT id, title, created, updated, profile, surface, model, mode, system_prompt, params"
                " FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
            if row is None:
                raise KeyError(conversation_id)
            rows = self._conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY position",
                (conversation_id,),
            ).fetchall()
        return Conversation(
            id=row[0], title=row[1], created=row[2], updated=row[3], profile=row[4], surface=row[5],
            model=row[6], mode=Mode(row[7]), system_prompt=row[8], params=json.loads(row[9]),
            messages=[_message(r) for r in rows],
        )  # fmt: skip

    # -- messages

    def add_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        reasoning: str = "",
        status: MessageStatus | str = MessageStatus.COMPLETE,
        model: str | None = None,
        metrics: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> StoredMessage:
        """Append a message; the first user message also titles an untitled conversation."""
        now = _now()
        with self._transaction() as conn:
            position = conn.execute(
                "SELECT COALESCE(MAX(position) + 1, 0) FROM messages WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()[0]
            cursor = conn.execute(
                f"INSERT INTO messages ({_MESSAGE_COLUMNS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation_id, position, role, content, reasoning, MessageStatus(status), error,
                    model, json.dumps(metrics or {}), now, now,
                ),
            )  # fmt: skip
            if role == "user":
                conn.execute(
                    "UPDATE conversations SET title = ? WHERE id = ? AND title = ''",
                    (_auto_title(content), conversation_id),
                )
            self._touch(conn, conversation_id, now)
            row = conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (cursor.lastrowid,)
            ).fetchone()
        return _message(row)

    def begin_assistant_message(self, conversation_id: int, *, model: str | None = None) -> int:
        """An empty assistant message in status `streaming`; returns its id."""
        return self.add_message(
            conversation_id, "assistant", "", status=MessageStatus.STREAMING, model=model
        ).id

    def append_partial(self, message_id: int, content: str, reasoning: str = "") -> None:
        """Store the text received so far (the whole of it, not a delta) in place."""
        with self._transaction() as conn:
            conn.execute(
                "UPDATE messages SET content = ?, reasoning = ?, updated = ? WHERE id = ?",
                (content, reasoning, _now(), message_id),
            )

    def finish_message(
        self,
        message_id: int,
        status: MessageStatus | str,
        *,
        metrics: Mapping[str, Any] | None = None,
        error: str | None = None,
        content: str | None = None,
        reasoning: str | None = None,
    ) -> None:
        """Close a streamed answer; pass the final text too if the last partial was not saved."""
        now = _now()
        with self._transaction() as conn:
            conn.execute(
                "UPDATE messages SET status = ?, metrics = ?, error = ?, content = COALESCE(?, content),"
                " reasoning = COALESCE(?, reasoning), updated = ? WHERE id = ?",
                (
                    MessageStatus(status),
                    json.dumps(metrics or {}),
                    None if error is None else scrub(error),  # a server may quote the key
                    content,
                    reasoning,
                    now,
                    message_id,
                ),
            )
            self._touch_for_message(conn, message_id, now)

    def edit_message(self, message_id: int, content: str) -> None:
        now = _now()
        with self._transaction() as conn:
            conn.execute(
                "UPDATE messages SET content = ?, updated = ? WHERE id = ?", (content, now, message_id)
            )
            self._touch_for_message(conn, message_id, now)

    def truncate_after(self, conversation_id: int, position: int) -> None:
        """Drop every message after `position` (edit-and-resend, regenerate)."""
        with self._transaction() as conn:
            conn.execute(
                "DELETE FROM messages WHERE conversation_id = ? AND position > ?", (conversation_id, position)
            )
            self._touch(conn, conversation_id)

    def delete_messages(self, conversation_id: int, positions: range) -> None:
        """Remove a run of messages and close the gap so positions stay 0..n-1."""
        if not positions:
            return
        with self._transaction() as conn:
            conn.execute(
                "DELETE FROM messages WHERE conversation_id = ? AND position >= ? AND position < ?",
                (conversation_id, positions.start, positions.stop),
            )
            conn.execute(
                "UPDATE messages SET position = position - ? WHERE conversation_id = ? AND position >= ?",
                (len(positions), conversation_id, positions.stop),
            )
            self._touch(conn, conversation_id)

    def delete_turn(self, conversation_id: int, position: int) -> None:
        """Delete the message at `position`; for a user message, also the replies that follow it."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT position, role FROM messages WHERE conversation_id = ? AND position >= ?"
                " ORDER BY position",
                (conversation_id, position),
            ).fetchall()
            if not rows or rows[0][0] != position:
                return
            end = position + 1
            if rows[0][1] == "user":
                for pos, role in rows[1:]:
                    if role == "user":
                        break
                    end = pos + 1
            self.delete_messages(conversation_id, range(position, end))

    # -- prompt history (up/down recall across conversations)

    def add_prompt(self, text: str) -> None:
        if not text.strip():
            return
        with self._transaction() as conn:
            last = conn.execute("SELECT text FROM prompt_history ORDER BY id DESC LIMIT 1").fetchone()
            if last is not None and last[0] == text:
                return
            conn.execute("INSERT INTO prompt_history (text, created) VALUES (?, ?)", (text, _now()))
            conn.execute(
                "DELETE FROM prompt_history WHERE id <= (SELECT MAX(id) FROM prompt_history) - ?",
                (PROMPT_HISTORY_LIMIT,),
            )

    def recent_prompts(self, limit: int = PROMPT_HISTORY_LIMIT) -> list[str]:
        """Newest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT text FROM prompt_history ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [row[0] for row in rows]

    # -- helpers

    @staticmethod
    def _touch(conn: sqlite3.Connection, conversation_id: int, now: float | None = None) -> None:
        conn.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now or _now(), conversation_id))

    @staticmethod
    def _touch_for_message(conn: sqlite3.Connection, message_id: int, now: float) -> None:
        conn.execute(
            "UPDATE conversations SET updated = ? WHERE id = (SELECT conversation_id FROM messages WHERE id = ?)",
            (now, message_id),
        )
