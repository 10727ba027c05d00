"""The footer's key hints are in the first frame, a burst of binding changes rebuilds it once, and a
refresh that changes no key rebuilds nothing."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

from tm_tui.widgets.key_footer import KeyFooter

from .helpers import SIZE, settle


def hints(app: App) -> list[str]:
    return [key.description for key in app.screen.query(FooterKey)]


async def test_the_chat_screens_first_frame_shows_the_prompts_keys(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        # No pause: this is the state the first frame was drawn from.
        assert "Send" in hints(app) and "Retry" in hints(app)
        await settle(pilot)
        assert "Send" in hints(app)


class Host(App[None]):
    BINDINGS = [Binding("ctrl+y", "bell", "Ring", id="host.ring")]

    def __init__(self, footer: Footer) -> None:
        super().__init__()
        self.footer = footer
        self.rebuilds = 0
        self.can_ring = True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.can_ring if action == "bell" else True

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield self.footer


class CountingFooter(KeyFooter):
    async def recompose(self) -> None:
        self.app.rebuilds += 1  # type: ignore[attr-defined]  # Host has it; Footer.app is typed App
        await super().recompose()


async def test_keys_are_there_at_the_first_frame_and_a_burst_rebuilds_once():
    app = Host(CountingFooter())
    async with app.run_test(size=SIZE) as pilot:
        assert "Ring" in hints(app)  # Textual's Footer builds its keys one refresh later
        await pilot.pause()
        before = app.rebuilds
        for _ in range(4):  # nothing changed: the keys stay as they are
            app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert app.rebuilds == before
        app.can_ring = False
        for _ in range(4):
            app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert app.rebuilds == before + 1
        assert "Ring" not in hints(app)  # the rebuild shows the keys as they are now
