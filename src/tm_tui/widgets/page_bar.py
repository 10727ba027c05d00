"""Numbered paging for server-paged tables: `1 … 4 5 [6] 7 8 … 20`, with the totals."""

from __future__ import annotations

from rich.text import Text


def last_page(total: int, size: int) -> int:
    return max(1, -(-total // size))


def page_window(current: int, last: int, around: int = 2) -> list[int | None]:
    """The page numbers to show: the first, the last and `around` either side of `current`;
    None marks a gap."""
    wanted = {1, last, *range(current - around, current + around + 1)}
    pages = sorted(p for p in wanted if 1 <= p <= last)
    shown: list[int | None] = []
    for page in pages:
        if shown and page - (shown[-1] or 0) > 1:
            shown.append(None)
        shown.append(page)
    return shown


def page_bar(current: int, last: int, total: int, noun: str) -> Text:
    text = Text()
    for page in page_window(current, last):
        if page is None:
            text.append("… ", "dim")
        elif page == current:
            text.append(f"[{page}]", "bold reverse").append(" ")
        else:
            text.append(f"{page} ")
    text.append(f"  page {current} of {last} · {total} {noun}", "dim")
    return text
