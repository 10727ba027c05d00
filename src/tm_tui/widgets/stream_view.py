"""One answer's text: reasoning in a collapsible section above it, the answer below.

While the answer streams, its owner calls `show_live()` from a timer (not per token) and the text is
shown as a plain `Text` tail — cheap to re-render. `finalize()` then renders the whole answer as
Markdown once. Model output is untrusted: control characters (terminal escapes) are neutralised
and nothing is parsed as console markup; Markdown itself is rendered, with links not auto-opened.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Collapsible, Markdown, Static

from tm_tui.widgets.error_panel import sanitize

REASONING_TITLE = "Reasoning"


class StreamView(Vertical):
    DEFAULT_CLASSES = "stream-view"

    def __init__(self, content: str = "", reasoning: str = "", *, final: bool = False) -> None:
        super().__init__()
        self.content = content
        self.reasoning = reasoning
        self.final = final
        self._collapsed_once = final  # reasoning folds away once, when the answer starts

    def compose(self) -> ComposeResult:
        with Collapsible(title=REASONING_TITLE, collapsed=self.final, classes="reasoning") as box:
            box.display = bool(self.reasoning)
            yield Static(Text(sanitize(self.reasoning)), classes="reasoning-text", markup=False)
        if self.final:
            yield Markdown(sanitize(self.content), classes="answer", open_links=False)
        else:
            yield Static(Text(sanitize(self.content)), classes="live-tail", markup=False)

    @property
    def reasoning_box(self) -> Collapsible:
        return self.query_one(".reasoning", Collapsible)

    def show_live(self, content: str, reasoning: str) -> None:
        """Show the text so far (plain, cheap); called on the owner's flush timer."""
        if reasoning != self.reasoning:
            self.reasoning = reasoning
            self.reasoning_box.display = True
            self.query_one(".reasoning-text", Static).update(Text(sanitize(reasoning)))
        if content != self.content:
            self.content = content
            self.query_one(".live-tail", Static).update(Text(sanitize(content)))
            if not self._collapsed_once and content.strip():
                self._collapsed_once = True
                self.reasoning_box.collapsed = True

    async def finalize(self, content: str, reasoning: str) -> None:
        """Replace the live tail by the answer rendered as Markdown (once, at the end)."""
        self.show_live(self.content, reasoning)
        self.content = content
        self.final = True
        self.reasoning_box.collapsed = True
        tail = self.query(".live-tail")
        markdown = Markdown(classes="answer", open_links=False)
        await self.mount(markdown)
        await tail.remove()
        await markdown.update(sanitize(content))
