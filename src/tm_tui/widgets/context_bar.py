"""The header every section shows: profile, surface, model and control-plane login state.

The app owns the only `AppContext` (`TmApp.context`, a reactive); each bar watches it. Code that
changes the session posts `ContextChanged()` (`tm_tui.state`) and the app's single handler rebuilds the snapshot
from the session, so there is one writer. The bar is a single widget on purpose: it is part of the
first frame, and every extra widget there costs start-up time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widget import Widget

from tm_tui.state import AppContext, LoginState
from tm_tui.surface import Surface

if TYPE_CHECKING:
    from tm_tui.app import TmApp

LOGIN_STYLES = {
    LoginState.LOGGED_IN: "$success",
    LoginState.EXPIRED: "$error",
    LoginState.NOT_LOGGED_IN: "$warning",
    LoginState.UNVERIFIED: "$warning",
}
BADGE = (" tm-tui ", "bold $text-primary on $primary 30%")
MIN_MODEL = 12  # below this a middle-ellipsised model name says nothing; the profile gives way too


@dataclass(frozen=True)
class _Layout:
    """How much to spell out: the bar tries each layout in `LAYOUTS` until one fits."""

    separator: str
    labels: bool  # "profile ", "surface ", "model " before the values
    login_label: str
    display_name: bool
    badge: bool = True


LAYOUTS = (
    _Layout(" │ ", labels=True, login_label="control plane ", display_name=True),
    _Layout(" │ ", labels=False, login_label="cp ", display_name=True),
    _Layout("│", labels=False, login_label="cp ", display_name=False),
    _Layout("│", labels=False, login_label="cp ", display_name=False, badge=False),
)


def middle_ellipsis(text: str, width: int) -> str:
    """`text` cut to `width` cells by dropping its middle: both ends of a model name tell most."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    tail = (width - 1) // 2
    return text[: width - 1 - tail] + "…" + text[len(text) - tail :]


def render_context(context: AppContext, width: int | None = None) -> Content:
    """The bar in at most `width` cells: labels shrink first, then the model name loses its middle,
    then the profile name; the login state always shows in full."""
    if width is None:
        return _assemble(context, LAYOUTS[0], context.model, context.profile)
    for layout in LAYOUTS:
        content = _assemble(context, layout, context.model, context.profile)
        if content.cell_length <= width:
            return content
    excess = content.cell_length - width
    model = context.model or ""
    model_room = max(len(model) - excess, min(MIN_MODEL, len(model)))
    profile_room = max(len(context.profile) - (excess - (len(model) - model_room)), 1)
    return _assemble(
        context,
        layout,
        middle_ellipsis(model, model_room) if context.model else None,
        middle_ellipsis(context.profile, profile_room),
    )


def _assemble(context: AppContext, layout: _Layout, model: str | None, profile: str) -> Content:
    # Profile and model names may come from a server: plain text only (Content strips control codes).
    if layout.display_name and context.display_name:
        profile += f" ({context.display_name})"
    separator = (layout.separator, "$foreground 30%")

    def label(text: str) -> tuple[str, str]:
        return (text if layout.labels else "", "dim")

    return Content.assemble(
        BADGE if layout.badge else "",
        " ",
        label("profile "),
        profile,
        " " if context.demo else "",
        ("DEMO", "bold $accent") if context.demo else "",
        separator,
        label("surface "),
        Surface(context.surface).label,
        separator,
        label("model "),
        (model, "") if model else ("none" if layout.labels else "no model", "italic dim"),
        separator,
        (layout.login_label, "dim"),
        (context.login.value, LOGIN_STYLES.get(context.login, "")),
    )


class ContextBar(Widget):
    """Renders for its own width, so a resize picks the layout that fits."""

    app: TmApp  # narrows Widget.app

    def on_mount(self) -> None:
        self.watch(self.app, "context", self._context_changed)

    def _context_changed(self) -> None:
        self.refresh()

    def render(self) -> Content:
        return render_context(self.app.context, self.size.width)
