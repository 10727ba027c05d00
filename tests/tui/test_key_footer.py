"""The footer's key hints are in the first frame, and a burst of binding changes rebuilds it once."""

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
        assert "Send" in hints(app) and "History" in hints(app)
        await settle(pilot)
        assert "Send" in hints(app)


class Host(App[None]):
    BINDINGS = [
        Binding("ctrl+y", "bell", "Ring", id="host.ring"),
        Binding("escape", "stop", "Stop", id="host.stop"),
        Binding("ctrl+w", "wait", "Wait", id="host.wait"),
    ]

    def __init__(self, footer: Footer) -> None:
        super().__init__()
        self.footer = footer
        self.rebuilds = 0
        self.updates = 0
        self.stop_state: bool | None = True  # False: hidden; None: shown disabled

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.stop_state if action == "stop" else True

    def action_stop(self) -> None:
        pass

    def action_wait(self) -> None:
        pass

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield self.footer


class CountingFooter(KeyFooter):
    async def recompose(self) -> None:
        self.app.rebuilds += 1  # type: ignore[attr-defined]  # Host has it; Footer.app is typed App
        await super().recompose()

    async def _rebuild(self) -> None:
        self.app.updates += 1  # type: ignore[attr-defined]
        await super()._rebuild()


async def test_keys_are_there_at_the_first_frame_and_a_burst_rebuilds_once():
    app = Host(CountingFooter())
    async with app.run_test(size=SIZE) as pilot:
        assert "Ring" in hints(app)  # Textual's Footer builds its keys one refresh later
        await pilot.pause()
        before = app.updates
        for _ in range(4):
            app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert app.updates == before + 1
        assert "Ring" in hints(app)


def keys_shown(app: App) -> list[tuple[str, str, bool, bool]]:
    return [
        (k.key, k.description, k.has_class("-disabled"), k._disabled) for k in app.screen.query(FooterKey)
    ]


async def test_keys_that_change_are_updated_in_place_as_a_rebuild_would_show_them():
    app = Host(CountingFooter())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before, ring = app.rebuilds, app.screen.query(FooterKey).first()
        expected = {}
        for state in (False, None, True, None, False):  # hidden, disabled, enabled...
            app.stop_state = state
            app.screen.refresh_bindings()
            await pilot.pause()
            await pilot.pause()
            expected[state] = keys_shown(app)
        assert app.rebuilds == before and app.screen.query(FooterKey).first() is ring  # nothing rebuilt
        assert "Stop" not in hints(app)
        assert ("escape", "Stop", True, True) in expected[None] and (
            "escape",
            "Stop",
            False,
            False,
        ) in expected[True]
        assert hints(app) == ["Ring", "Wait", "palette"]
        for state in (None, True, False):  # the same as a full rebuild
            app.stop_state = state
            app.footer.call_later(app.footer.recompose)  # in the footer's context, as Textual does
            await pilot.pause()
            await pilot.pause()
            assert keys_shown(app) == expected[state], state
