"""The section strip: every section with its key, the current one whole, fits 80 columns, clickable."""

from __future__ import annotations

import pytest

from tm_tui.screens.sections import SECTIONS, Section
from tm_tui.widgets.section_strip import SectionStrip, render_strip

from .helpers import SIZE, settle

# More sections than are registered today, with long titles: the strip must still fit 80 columns.
MANY = tuple(
    Section(f"s{n}", title, f"f{n + 2}", "x:Y", "")
    for n, title in enumerate(
        ("Chat", "Models", "Account", "Settings", "Status", "Tokenizer", "Billing", "Support", "Deployments")
    )
)


@pytest.mark.parametrize("sections", [SECTIONS, MANY], ids=["registered", "nine"])
@pytest.mark.parametrize("width", [200, 120, 80, 60])
def test_the_strip_fits_and_keeps_every_key_and_the_current_title(sections, width):
    for current in sections:
        text = render_strip(sections, current.id, width).plain
        assert len(text) <= width
        assert current.title in text
        for section in sections:
            assert section.key.upper().removeprefix("F") in text


def test_wide_enough_it_spells_every_section_out():
    text = render_strip(MANY, "s0", 200).plain
    assert text.split() == [part for s in MANY for part in (s.key.upper(), s.title)]


def test_the_current_section_is_highlighted_and_others_are_click_targets():
    content = render_strip(SECTIONS, "models", 120)
    start = content.plain.index("F3 Models")
    styles = [span.style for span in content.spans if span.start <= start < span.end]
    assert any("bold" in str(style) for style in styles)
    actions = {
        style.meta.get("@click") for span in content.spans if not isinstance(style := span.style, str) and style.meta
    }
    assert actions == {f"app.open_section('{s.id}')" for s in SECTIONS}


async def test_every_section_shows_the_strip_with_itself_current(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for section in SECTIONS:
            await pilot.press(section.key)
            await settle(pilot)
            strip = app.screen.query_one(SectionStrip)
            assert strip.current == section.id
            assert strip.region.y == 1  # right under the context bar, not over it


async def test_clicking_an_entry_opens_its_section(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        strip = app.screen.query_one(SectionStrip)
        target = SECTIONS[-1]
        x = strip.render().plain.index(target.title)
        await pilot.click(SectionStrip, offset=(x, 0))
        await settle(pilot)
        assert app.current_section == target.id


def test_a_cut_title_says_it_was_cut():
    """At 80 columns "Models" must not read "Mode" (Chat's mode): a cut title ends with "…"."""
    text = render_strip(SECTIONS, "support", 80).plain
    assert " Mode " not in text
    words = [w for w in text.split() if not w.isdigit() and not w.startswith("F")]
    full = {s.title for s in SECTIONS}
    assert all(w in full or w.endswith("…") for w in words), text
