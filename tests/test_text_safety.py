"""Untrusted text loses its control characters (terminal escapes) and keeps its layout."""

from __future__ import annotations

from tm_tui.text_safety import display_url, sanitize


def test_control_characters_become_replacement_characters():
    assert sanitize("a\x1b[31mred\x07\x9b\tb\nc") == "a\ufffd[31mred\ufffd\ufffd\tb\nc"


def test_a_url_is_shown_without_escapes():
    assert display_url("http://host\x1b]8;;x\x07/v1") == "http://host\ufffd]8;;x\ufffd/v1"
