"""A tokenization shown in full: the token view, its counts (context share, cost) and the token under
the cursor in detail. The Tokenizer section uses one per result (text, chat, each side of a compare)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tm_tui.chat.cost import Pricing, format_usd
from tm_tui.text_safety import sanitize
from tm_tui.tokens.analysis import input_cost
from tm_tui.tokens.spans import Layout, Span
from tm_tui.widgets.token_view import TokenView, _visible

BAR_CELLS = 12


@dataclass(frozen=True)
class Shown:
    """What a panel shows: one tokenization, laid out, with what its counts need."""

    model: str
    kind: str  # which kind of server answered
    layout: Layout
    chars: int  # characters of the input (not of a rendered template)
    context: int | None  # the context window, from wherever it was known
    context_source: str
    price: Pricing | None

    @property
    def tokens(self) -> int:
        return len(self.layout.spans)


def context_bar(tokens: int, context: int | None, source: str) -> Text:
    if not context:
        return Text("Context window: unknown", style="italic")
    share = tokens / context
    filled = min(round(share * BAR_CELLS), BAR_CELLS)
    style = "bold red" if share > 1 else "green" if share < 0.5 else "yellow"
    text = Text("Context ").append("█" * filled, style).append("░" * (BAR_CELLS - filled), "dim")
    text.append(f" {share:.1%} of {context:,}")
    if share > 1:
        text.append(f"\n{tokens - context:,} tokens over the window", "bold red")
    return text.append(f"\n  from {source}", "dim")


def counts_text(shown: Shown) -> Text:
    text = Text.assemble(
        ("Model ", "dim"), sanitize(shown.model), ("\nServer ", "dim"), (shown.kind, "italic")
    )
    per = f"{shown.chars / shown.tokens:.2f}" if shown.tokens else "–"
    text.append(f"\nTokens {shown.tokens:,}  Chars {shown.chars:,}  Chars/token {per}\n")
    text.append_text(context_bar(shown.tokens, shown.context, shown.context_source))
    cost = input_cost(shown.tokens, shown.price)
    text.append(f"\nInput {format_usd(cost.full)}   cached {format_usd(cost.cached)}")
    if shown.price is None:
        text.append("  (no price known for this model)", "dim")
    return text


def detail_text(layout: Layout, span: Span | None) -> Text:
    """Index, id, text, UTF-8 bytes and offsets of one token; a split character is named in full."""
    if span is None:
        return Text("No token under the cursor.", style="italic")
    total = len(layout.spans)
    text = Text.assemble(("Token ", "dim"), f"{span.index + 1} of {total:,}", ("   id ", "dim"), str(span.id))
    if span.data is None:
        return text.append("\nThe server gave no text for this token.", "italic")
    if span.whole:
        shown = "".join(_visible(ch, True) for ch in layout.display(span.start, span.end))
        text.append("\nText  ", "dim").append(shown or "(empty)", "bold")
    else:
        text.append("\nText  ", "dim").append("".join(f"<0x{b:02X}>" for b in span.data), "bold")
    text.append("\nBytes ", "dim").append(span.hex() or "(none)")
    text.append("\nChars ", "dim").append(f"{span.start}–{span.end}")
    if not span.whole:
        group = layout.group(span.index)
        chars = "".join(_visible(ch, True) for ch in layout.display(layout.spans[group[0]].start, span.end))
        text.append("\nPart of ", "dim").append(chars, "bold")
        text.append(f", split over tokens {group[0] + 1}–{group[-1] + 1}", "dim")
    return text


class TokenPanel(Vertical):
    """TokenView beside (or above, with `stacked`) its counts and the cursor's token detail."""

    def __init__(self, *, id: str, stacked: bool = False) -> None:
        super().__init__(id=id, classes="token-panel -stacked" if stacked else "token-panel")
        self.shown: Shown | None = None

    def compose(self) -> ComposeResult:
        yield TokenView(id=f"{self.id}-view", classes="token-view")
        with Vertical(classes="token-side"):
            yield Static(
                Text("Tokenize something: ctrl+t", style="italic"), classes="token-counts", markup=False
            )
            yield Static("", classes="token-detail", markup=False)

    @property
    def view(self) -> TokenView:
        return self.query_one(TokenView)

    def show(self, shown: Shown, *, prefix_upto: int = 0) -> None:
        self.shown = shown
        self.query_one(".token-counts", Static).update(counts_text(shown))
        self.view.show(shown.layout, prefix_upto=prefix_upto)

    def reprice(self, price: Pricing | None) -> None:
        if self.shown is not None and price != self.shown.price:
            self.shown = replace(self.shown, price=price)
            self.query_one(".token-counts", Static).update(counts_text(self.shown))

    @on(TokenView.CursorMoved)
    def _cursor_moved(self, event: TokenView.CursorMoved) -> None:
        self.query_one(".token-detail", Static).update(detail_text(event.view.layout_, event.span))
