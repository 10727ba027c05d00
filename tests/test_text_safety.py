"""Untrusted text loses its control characters (terminal escapes) and keeps its layout."""

from __future__ import annotations

from tm_tui.text_safety import display_url, sanitize


def test_control_characters_become_replacement_characters():
    assert sanitize("a\x1b[31mred\x07\x9b\tb\nc") == "a\ufffd[31mred\ufffd\ufffd\tb\nc"


def test_a_url_is_shown_without_escapes():
    assert display_url("http://host\x1b]8;;x\x07/v1") == "http://host\ufffd]8;;x\ufffd/v1"


def test_bidi_and_zero_width_characters_become_visible_escapes():
    assert sanitize("a\u202eexe.txt\u202c b\u200bc\ufeff") == "a<U+202E>exe.txt<U+202C> b<U+200B>c<U+FEFF>"
    assert sanitize("family \U0001f468\u200d\U0001f469") == "family \U0001f468\u200d\U0001f469"  # ZWJ kept


def test_inert_text_is_never_markup_and_long_labels_are_cut():
    from tm_tui.text_safety import LABEL_MAX, inert

    text = inert("evil[b]model[/b][@click=app.quit]x[/]\x1b]52;c;x\x07")
    assert text.plain == "evil[b]model[/b][@click=app.quit]x[/]\ufffd]52;c;x\ufffd" and not text.spans
    assert len(inert("x" * 100_000).plain) == LABEL_MAX
    assert inert("x" * 100_000, max_len=None).plain == "x" * 100_000
