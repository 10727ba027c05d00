"""The conversation the chat screen drives, saved to history as it happens.

    session = ChatSession.new(store, model=..., surface="serverless", params=params)
    session.send("Hello")                      # saved before anything goes on the wire
    body = session.request_body()              # the exact JSON body (also what "View code" shows)
    reply = session.begin_reply()              # an assistant message in status `streaming`
    reply.add(text=delta)                      # per delta, in memory only
    session.save_partial()                     # on the screen's flush timer
    session.finish_reply(status, metrics)      # final text, status and metrics

Structural edits (regenerate, edit-and-resend, delete a turn, clear) go to the store first and then
reload the messages from it, so memory never disagrees with what a restart would show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tm_tui.chat.cost import ConversationCost, conversation_cost
from tm_tui.chat.metrics import TurnMetrics
from tm_tui.chat.modes import Mode
from tm_tui.chat.params import Params, validate_params
from tm_tui.store.history import Conversation, HistoryStore, MessageStatus, StoredMessage

if TYPE_CHECKING:
    from tm_tui.chat.code_snippets import Route

ENDPOINTS: dict[Mode, Route] = {
    Mode.CHAT: "/v1/chat/completions",
    Mode.COMPLETION: "/v1/completions",
    Mode.RESPONSES: "/v1/responses",
}


def request_messages(
    messages: Iterable[StoredMessage], system_prompt: str = "", *, include_reasoning: bool = False
) -> list[dict[str, Any]]:
    """History in OpenAI `messages` form: the system prompt first, then every message with text.

    An answer still streaming is left out, and so is an answer that failed before any text came.
    Reasoning of earlier answers is sent back only when asked (it costs prompt tokens).
    """
    out: list[dict[str, Any]] = (
        [{"role": "system", "content": system_prompt}] if system_prompt.strip() else []
    )
    for message in messages:
        if message.status is MessageStatus.STREAMING or (message.role == "assistant" and not message.content):
            continue
        entry: dict[str, Any] = {"role": message.role, "content": message.content}
        if include_reasoning and message.role == "assistant" and message.reasoning:
            entry["reasoning"] = message.reasoning
        out.append(entry)
    return out


def build_request_body(
    mode: Mode | str,
    model: str,
    messages: Sequence[StoredMessage],
    *,
    system_prompt: str = "",
    params: Params | None = None,
    stream: bool = True,
    include_reasoning: bool = False,
) -> dict[str, Any]:
    """The JSON body for `mode`'s endpoint (see `ENDPOINTS`).

    Completion mode sends the last user message as a bare prompt (no history, no system prompt);
    the Responses API takes the system prompt as `instructions` and the history as `input`.
    """
    mode = Mode(mode)
    fields = (params or Params()).to_request_fields(mode)
    body: dict[str, Any] = {"model": model}
    if mode is Mode.CHAT:
        body["messages"] = request_messages(messages, system_prompt, include_reasoning=include_reasoning)
    elif mode is Mode.COMPLETION:
        body["prompt"] = next((m.content for m in reversed(messages) if m.role == "user"), "")
    else:
        body["input"] = request_messages(messages)
        if system_prompt.strip():
            body["instructions"] = system_prompt
    body |= fields
    if stream:
        body["stream"] = True
        if mode is not Mode.RESPONSES:  # Responses reports usage in its completed event
            body["stream_options"] = {"include_usage": True}
    return body


@dataclass
class PendingReply:
    """The answer being streamed: text accumulates here and reaches the store on `save_partial`."""

    message_id: int
    model: str | None
    content: str = ""
    reasoning: str = ""
    dirty: bool = False

    def add(self, text: str = "", reasoning: str = "") -> None:
        if text or reasoning:
            self.content += text
            self.reasoning += reasoning
            self.dirty = True


class ChatSession:
    def __init__(self, store: HistoryStore, conversation: Conversation | None, **settings: Any) -> None:
        self._store = store
        self._conversation = conversation
        self._settings = settings  # used to create the conversation on the first send
        self.reply: PendingReply | None = None

    @classmethod
    def new(
        cls,
        store: HistoryStore,
        *,
        model: str,
        surface: str | None = None,
        profile: str | None = None,
        mode: Mode | str = Mode.CHAT,
        system_prompt: str = "",
        params: Params | None = None,
    ) -> ChatSession:
        """A conversation that reaches history with its first message (no empty entries)."""
        return cls(
            store, None, model=model, surface=surface, profile=profile, mode=Mode(mode),
            system_prompt=system_prompt, params=(params or Params()).to_raw(),
        )  # fmt: skip

    @classmethod
    def resume(cls, store: HistoryStore, conversation_id: int) -> ChatSession:
        return cls(store, store.load_conversation(conversation_id))

    # -- state

    @property
    def conversation_id(self) -> int | None:
        return self._conversation.id if self._conversation else None

    @property
    def messages(self) -> list[StoredMessage]:
        return list(self._conversation.messages) if self._conversation else []

    def _setting(self, name: str) -> Any:
        return getattr(self._conversation, name) if self._conversation else self._settings[name]

    @property
    def model(self) -> str:
        return self._setting("model") or ""

    @property
    def mode(self) -> Mode:
        return Mode(self._setting("mode"))

    @property
    def system_prompt(self) -> str:
        return self._setting("system_prompt")

    @property
    def params(self) -> Params:
        # Stored in the panel's text form; a value that no longer validates is dropped, not sent.
        return validate_params(self._setting("params"))[0]

    def configure(
        self,
        *,
        model: str | None = None,
        mode: Mode | str | None = None,
        surface: str | None = None,
        profile: str | None = None,
        system_prompt: str | None = None,
        params: Params | None = None,
    ) -> None:
        changes: dict[str, Any] = {
            "model": model, "mode": None if mode is None else Mode(mode), "surface": surface,
            "profile": profile, "system_prompt": system_prompt,
            "params": None if params is None else params.to_raw(),
        }  # fmt: skip
        changes = {key: value for key, value in changes.items() if value is not None}
        if not changes:
            return
        if self._conversation is None:
            self._settings |= changes
        else:
            self._store.update_conversation(self._conversation.id, **changes)
            self._reload()

    def cost(self) -> ConversationCost:
        return conversation_cost(
            TurnMetrics.from_dict(m.metrics).cost
            for m in self.messages
            if m.role == "assistant" and m.status is not MessageStatus.STREAMING
        )

    # -- sending and streaming

    def send(self, text: str) -> StoredMessage:
        """Save the user's message; call before the request goes out."""
        if self._conversation is None:
            conversation_id = self._store.create_conversation(**self._settings)
        else:
            conversation_id = self._conversation.id
        message = self._store.add_message(conversation_id, "user", text)
        self._store.add_prompt(text)
        self._reload(conversation_id)
        return message

    def request_body(self, *, stream: bool = True, include_reasoning: bool = False) -> dict[str, Any]:
        return build_request_body(
            self.mode, self.model, self.messages, system_prompt=self.system_prompt, params=self.params,
            stream=stream, include_reasoning=include_reasoning,
        )  # fmt: skip

    @property
    def endpoint(self) -> str:
        return ENDPOINTS[self.mode]

    def begin_reply(self) -> PendingReply:
        if self._conversation is None:
            raise RuntimeError("send() a message before beginning a reply")
        if self.reply is not None:
            raise RuntimeError("a reply is already streaming")
        message_id = self._store.begin_assistant_message(self._conversation.id, model=self.model)
        self.reply = PendingReply(message_id, self.model)
        self._reload()
        return self.reply

    def save_partial(self) -> None:
        """Write the pending answer's text so far; cheap to call on a timer (skips when unchanged)."""
        if self.reply is not None and self.reply.dirty:
            self._store.append_partial(self.reply.message_id, self.reply.content, self.reply.reasoning)
            self.reply.dirty = False

    def finish_reply(
        self,
        status: MessageStatus | str,
        metrics: TurnMetrics | None = None,
        *,
        error: str | None = None,
        content: str | None = None,
        reasoning: str | None = None,
    ) -> StoredMessage:
        """Close the pending answer. `content`/`reasoning` replace the accumulated text when given
        (e.g. the stream result's normalised text)."""
        reply = self.reply
        if reply is None:
            raise RuntimeError("no reply is streaming")
        self._store.finish_message(
            reply.message_id,
            status,
            metrics=None if metrics is None else metrics.to_dict(),
            error=error,
            content=reply.content if content is None else content,
            reasoning=reply.reasoning if reasoning is None else reasoning,
        )
        self.reply = None
        self._reload()
        return next(m for m in self.messages if m.id == reply.message_id)

    # -- edits

    def regenerate(self) -> bool:
        """Drop the answers after the last user message; True when there is a prompt to resend."""
        last_user = next((m for m in reversed(self.messages) if m.role == "user"), None)
        if last_user is None or self.reply is not None:
            return False
        self._store.truncate_after(last_user.conversation_id, last_user.position)
        self._reload()
        return True

    def edit_and_resend(self, index: int, text: str) -> None:
        """Replace user message `index` and drop everything after it; then send the request again."""
        message = self.messages[index]
        if message.role != "user":
            raise ValueError("only a user message can be edited and resent")
        self._store.edit_message(message.id, text)
        self._store.truncate_after(message.conversation_id, message.position)
        self._reload()

    def delete_turn(self, index: int) -> None:
        """Delete message `index`; a user message takes its answers with it."""
        message = self.messages[index]
        self._store.delete_turn(message.conversation_id, message.position)
        self._reload()

    def clear(self) -> None:
        if self._conversation is not None:
            self._store.clear(self._conversation.id)
            self._reload()

    def _reload(self, conversation_id: int | None = None) -> None:
        conversation_id = conversation_id if conversation_id is not None else self.conversation_id
        if conversation_id is None:
            raise KeyError("no conversation to reload")  # like an unknown id
        self._conversation = self._store.load_conversation(conversation_id)


class PromptHistory:
    """Up/down recall of earlier prompts (all conversations), shell-style: the draft being typed is
    kept and comes back when the user walks down past the newest entry."""

    def __init__(self, store: HistoryStore) -> None:
        self._store = store
        self._entries = store.recent_prompts()  # newest first
        self._cursor = -1  # -1 = the draft
        self._draft = ""

    def previous(self, current: str) -> str | None:
        """The next older prompt, or None at the oldest."""
        if self._cursor + 1 >= len(self._entries):
            return None
        if self._cursor == -1:
            self._draft = current
        self._cursor += 1
        return self._entries[self._cursor]

    def next(self) -> str | None:
        """The next newer prompt, the saved draft after the newest, or None when already at the draft."""
        if self._cursor == -1:
            return None
        self._cursor -= 1
        return self._draft if self._cursor == -1 else self._entries[self._cursor]

    def reset(self) -> None:
        self._entries = self._store.recent_prompts()
        self._cursor = -1
        self._draft = ""
