"""Export a conversation (Markdown / OpenAI-messages JSON) and "View code" for the last request.

Exports go to `<data dir>/exports/` unless the user types another path; the path written is shown.
"View code" renders the snippets of `chat.code_snippets`, with the key redacted until the user
reveals it, and copies the shown tab with OSC 52 (`App.copy_to_clipboard`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TabbedContent, TabPane, TextArea

from tm_tui.text_safety import sanitize
from tm_tui.widgets.export_modal import ExportModal

if TYPE_CHECKING:
    from tm_tui.chat.code_snippets import RequestSpec
    from tm_tui.store.history import Conversation

HERE = Path(__file__).parent
FORMATS = {"markdown": ".md", "json": ".json"}


def default_export_path(conversation: Conversation, env: Mapping[str, str] | None, fmt: str) -> Path:
    from tm_tui.config.paths import tui_data_dir

    slug = re.sub(r"[^a-z0-9]+", "-", (conversation.title or "conversation").lower()).strip("-")[:40]
    return tui_data_dir(env) / "exports" / f"{slug or 'conversation'}-{conversation.id}{FORMATS[fmt]}"


def write_export(conversation: Conversation, fmt: str, path: Path) -> Path:
    """Write atomically: a failed write never leaves a half-replaced file (raises ConfigFileError)."""
    from tm_tui.chat.export import to_markdown, to_openai_json
    from tm_tui.config.atomic import write_public

    text = to_markdown(conversation) if fmt == "markdown" else to_openai_json(conversation)
    path = path.expanduser().absolute()
    write_public(path, text)
    return path.resolve()


class ExportScreen(ExportModal):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="export.close")]

    def __init__(self, conversation: Conversation, env: Mapping[str, str] | None) -> None:
        formats = [("Markdown", "markdown"), ("JSON (OpenAI messages)", "json")]
        path = default_export_path(conversation, env, "markdown")
        super().__init__("Export conversation", formats, FORMATS, path)
        self.conversation = conversation

    def write(self, path: Path, fmt: str) -> Path:
        return write_export(self.conversation, fmt, path)


class ViewCodeScreen(ModalScreen[None]):
    CSS_PATH = HERE / "chat_export.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="code.close"),
        Binding("c", "copy", "Copy", id="code.copy", tooltip="Copy the shown snippet (OSC 52)"),
        Binding("v", "toggle_reveal", "Reveal key", id="code.reveal", tooltip="Show or redact the API key"),
    ]

    def __init__(self, spec: RequestSpec) -> None:
        super().__init__()
        self.spec = spec
        self.reveal = False

    def snippets(self) -> dict[str, str]:
        from tm_tui.chat.code_snippets import all_snippets

        # Shown and copied sanitized: a bidi override in a model id must not reorder code pasted in a shell.
        return {title: sanitize(code) for title, code in all_snippets(self.spec, reveal=self.reveal).items()}

    def compose(self) -> ComposeResult:
        with Vertical(id="code-box", classes="modal-box") as box:
            box.border_title = "View code: the last request"
            box.border_subtitle = "c copy · v reveal/redact key · esc close"
            with TabbedContent(id="code-tabs"):
                for index, (title, code) in enumerate(self.snippets().items()):
                    with TabPane(title, id=f"code-{index}"):
                        yield TextArea(code, read_only=True, soft_wrap=False, classes="code")
            yield Static("", id="code-note", markup=False)

    def on_mount(self) -> None:
        self._show_note()

    def _show_note(self, extra: str = "") -> None:
        state = (
            "The API key is shown."
            if self.reveal
            else "The API key is redacted ($TENSORMESH_INFERENCE_API_KEY)."
        )
        self.query_one("#code-note", Static).update(Text(f"{state} {extra}".strip()))

    def current_code(self) -> tuple[str, str]:
        active = self.query_one(TabbedContent).active  # "code-<index>"
        title = list(self.snippets())[int(active.rpartition("-")[2])]
        return title, self.query_one(f"#{active} TextArea", TextArea).text

    def action_toggle_reveal(self) -> None:
        self.reveal = not self.reveal
        for index, code in enumerate(self.snippets().values()):
            self.query_one(f"#code-{index} TextArea", TextArea).text = code
        self._show_note()

    def action_copy(self) -> None:
        title, code = self.current_code()
        self.app.copy_to_clipboard(code)
        message = f"Copied the {title} snippet to the clipboard (OSC 52)."
        self._show_note(message)
        self.notify(message, title="Copied", markup=False)
