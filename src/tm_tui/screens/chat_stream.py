"""Running one streamed answer for the chat and compare screens, apart from any widget.

A `Turn` is the answer in flight: the stream worker appends what arrives to it and nothing else; the
screen's flush timer reads it (the DESIGN §3 buffer), and the worker's single `Ended` message hands
the outcome to the screen's one handler. Failures never escape: an API error, a cut stream or an
unexpected exception all end the turn with `error` set and the text that had arrived kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

from tm_tui.chat.conversation import ENDPOINTS
from tm_tui.chat.metrics import TurnMetrics, metrics_from_stream, status_of
from tm_tui.chat.modes import Mode
from tm_tui.store.history import MessageStatus, StoredMessage

if TYPE_CHECKING:
    from textual.worker import Worker

    from tm_tui.api.inference import InferenceClient
    from tm_tui.api.streaming import StreamResult
    from tm_tui.chat.code_snippets import RequestSpec
    from tm_tui.chat.cost import PricingTable
    from tm_tui.chat.params import Params

# How often buffered deltas reach the screen (and, for the chat, the history file).
FLUSH_INTERVAL_S = 0.08


def open_stream(client: InferenceClient, mode: Mode, body: dict[str, Any]) -> Any:
    """The API stream for `mode`'s endpoint, built from the exact body history and "View code" show."""
    from tm_tui.api.models.inference import ChatCompletionRequest, CompletionRequest, ResponseRequest

    if mode is Mode.CHAT:
        return client.stream_chat(ChatCompletionRequest.model_validate(body))
    if mode is Mode.COMPLETION:
        return client.stream_completion(CompletionRequest.model_validate(body))
    return client.stream_response(ResponseRequest.model_validate(body))


def request_spec(client: InferenceClient, mode: Mode, body: dict[str, Any]) -> RequestSpec:
    """The request as it goes on the wire, for "View code" (the key stays in the spec, redacted on show)."""
    from tm_tui.chat.code_snippets import RequestSpec

    return RequestSpec(
        surface=client.surface,
        base_url=client.transport.base_url,
        route=ENDPOINTS[mode],
        body=body,
        api_key=client.transport.token,
        user_id=client.user_id,
    )


def body_with_prompt(
    mode: Mode,
    model: str,
    history: list[StoredMessage],
    prompt: str,
    *,
    system_prompt: str = "",
    params: Params | None = None,
) -> dict[str, Any]:
    """The request body `history` plus a new user `prompt` would make (compare, a draft's "View code")."""
    from tm_tui.chat.conversation import build_request_body

    draft = StoredMessage(
        0, 0, len(history), "user", prompt, "", MessageStatus.COMPLETE, None, None, {}, 0.0, 0.0
    )
    return build_request_body(mode, model, [*history, draft], system_prompt=system_prompt, params=params)


@dataclass
class Turn:
    """One answer in flight. `key` says where it shows (a message id, a compare pane)."""

    key: Any
    model: str
    _content: list[str] = field(default_factory=list)
    _reasoning: list[str] = field(default_factory=list)
    stream: Any = None
    entered: bool = False  # the server answered; stop() can now close the stream
    worker: Worker | None = None
    version: int = 0  # bumped per delta; the flush timer skips unchanged turns
    shown: int = -1

    @property
    def content(self) -> str:
        return "".join(self._content)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    def stop(self) -> None:
        """Esc: close an open stream (keeping its text), or abandon a request still waiting."""
        if self.entered and self.stream is not None:
            self.stream.stop()
        elif self.worker is not None:
            self.worker.cancel()

    def take_update(self) -> bool:
        """True once per change: there is new text to show."""
        if self.version == self.shown:
            return False
        self.shown = self.version
        return True


class TurnEnded(Message):
    """A turn is over. `result` is None when the stream never opened (then `error` says why)."""

    def __init__(
        self, turn: Turn, result: StreamResult | None, error: BaseException | None, stopped: bool
    ) -> None:
        super().__init__()
        self.turn = turn
        self.result = result
        self.error = error
        self.stopped = stopped


async def run_turn(turn: Turn, make_stream: Callable[[], Any], post: Callable[[Message], Any]) -> None:
    """Stream into `turn`, then post exactly one `TurnEnded`."""
    from tm_tui.api.streaming import ReasoningDelta, StreamError, TextDelta

    stream = turn.stream = make_stream()
    try:
        async with stream:
            turn.entered = True
            async for event in stream:
                if isinstance(event, TextDelta):
                    turn._content.append(event.text)
                elif isinstance(event, ReasoningDelta):
                    turn._reasoning.append(event.text)
                else:
                    continue
                turn.version += 1
    except StreamError as error:
        post(TurnEnded(turn, stream.result, error, stopped=False))
    except asyncio.CancelledError:
        post(TurnEnded(turn, stream.result if turn.entered else None, None, stopped=True))
        raise
    except Exception as error:  # noqa: BLE001 - typed API errors and bugs alike end the turn readably
        post(TurnEnded(turn, stream.result if turn.entered else None, error, stopped=False))
    else:
        post(TurnEnded(turn, stream.result, None, stopped=stream.result.stopped))


@dataclass(frozen=True)
class Outcome:
    """How a turn ended, ready for history and display."""

    content: str
    reasoning: str
    status: MessageStatus
    metrics: TurnMetrics
    error: BaseException | None


def outcome_of(message: TurnEnded, pricing: PricingTable) -> Outcome:
    turn, result = message.turn, message.result
    if result is None:  # refused before streaming (401, 429, 5xx, unreachable) or abandoned while waiting
        status = MessageStatus.STOPPED if message.stopped else MessageStatus.ERROR
        request_id = getattr(message.error, "request_id", None)
        return Outcome(
            turn.content, turn.reasoning, status, TurnMetrics(request_id=request_id), message.error
        )
    error = message.error or result.error
    status = MessageStatus.ERROR if error is not None else status_of(result)
    content = result.content or turn.content
    reasoning = result.reasoning or turn.reasoning
    return Outcome(content, reasoning, status, metrics_from_stream(result, pricing), error)


def next_step(error: BaseException | None, *, can_open_account: bool) -> str:
    """What the user can do about a failed answer (shown under the error)."""
    from tm_tui.api.errors import AuthError, RateLimited

    if isinstance(error, AuthError):
        where = (
            "ctrl+l opens Account to log in or set the key"
            if can_open_account
            else ("set the inference API key (TENSORMESH_INFERENCE_API_KEY or the Account section)")
        )
        return f"{where}; then ctrl+r retries"
    if isinstance(error, RateLimited) and error.retry_after is not None:
        return f"Retry after {error.retry_after:g} s: ctrl+r retries"
    return "ctrl+r retries"
