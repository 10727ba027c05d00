"""At 80x24 every section's footer shows all its key hints before the palette's, on every tab: keys the
screen already names in place stay out of the footer (help and the palette list them)."""

from __future__ import annotations

import pytest
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from .helpers import open_section, settle

NARROW = (80, 24)
# (section, the tab keys to visit; "" is the section as it opens).
CASES = [
    ("chat", ("",)),
    ("models", ("", "2")),
    ("account", ("", "2", "3")),
    ("settings", ("",)),
    ("status", ("",)),
    ("tokenizer", ("", "ctrl+n", "ctrl+n", "ctrl+n", "ctrl+n")),
    ("billing", ("", "2", "3", "4", "5")),
    ("support", ("",)),
    ("deployments", ("", "2", "3", "4")),
]


def cut_hints(footer: Footer) -> list[str]:
    """The hints that end past the start of the palette's (or the footer scrolls)."""
    keys = list(footer.query(FooterKey))
    palette = next(key for key in keys if key.has_class("-command-palette"))
    shown = [key for key in keys if key is not palette]
    assert shown, "no key hints"
    cut = [f"{key.key} {key.description}" for key in shown if key.region.right > palette.region.x]
    return cut + (["(scrolls)"] if footer.max_scroll_x else [])


@pytest.mark.parametrize(("section_id", "visits"), CASES, ids=[case[0] for case in CASES])
async def test_the_footer_fits_at_80_columns(emulator_env, make_app, section_id, visits):
    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_section(pilot, section_id)
        for key in visits:
            if key:
                await pilot.press(key)
            await settle(pilot)
            footer = app.screen.query_one(Footer)
            assert cut_hints(footer) == [], f"{section_id} after {key or 'opening'}"
            assert "f1" in [hint.key for hint in footer.query(FooterKey)]


async def test_a_waiting_login_fits_too(emulator_env, make_app):
    """The login box counts down with esc and c hints; the footer keeps esc (cancel) in reach."""
    from tm_tui.widgets.login_panel import LoginPanel

    app = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_section(pilot, "account")
        app.screen.query_one(LoginPanel).waiting("https://example.test/login", 300)
        app.screen.refresh_bindings()
        await settle(pilot)
        footer = app.screen.query_one(Footer)
        assert cut_hints(footer) == []
        assert "escape" in [hint.key for hint in footer.query(FooterKey)]
