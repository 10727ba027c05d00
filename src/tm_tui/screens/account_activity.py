"""The Activity tab of Account: the user's recent activity (the control plane's audit log), newest
first, in numbered pages of `PAGE_SIZE`.

It lives in Account because it is the account's own record — keys created and revoked, profile
edits, terms accepted, sign-ins — and the place to check what was just done there. The first page
loads when the tab is first shown; a failed load keeps the page on screen with the error above it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from tm_tui.config.secrets import mask
from tm_tui.screens.account_hints import explain
from tm_tui.state import ContextChanged
from tm_tui.text_safety import sanitize
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.page_bar import last_page, page_bar

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient
    from tm_tui.api.models.control_plane import ActivitiesPage, Activity

PAGE_SIZE = 20
COLUMNS = ("When (UTC)", "Action", "Resource", "What", "By")


def when(timestamp: str | None) -> str:
    """`2026-03-01T12:00:05Z` → `2026-03-01 12:00`."""
    return sanitize(timestamp[:16].replace("T", " ")) if timestamp else "—"


def resource_name(activity: Activity) -> str:
    """The resource id, masked for API keys: a key's id is its secret (reference §2)."""
    if activity.resource_type == "api_key" and activity.resource_id:
        return mask(activity.resource_id)
    return activity.resource_id or activity.resource_type or ""


def activity_cells(activity: Activity) -> tuple[str, ...]:
    return tuple(
        sanitize(cell) or "—"
        for cell in (
            when(activity.occurred_at),
            activity.action or "",
            resource_name(activity),
            activity.description or "",
            activity.actor_display or activity.actor_type or "",
        )
    )


class ActivityPane(Vertical):
    class Loaded(Message):
        def __init__(
            self, page: int, result: ActivitiesPage | None, error: BaseException | None = None
        ) -> None:
            super().__init__()
            self.page, self.result, self.error = page, result, error

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.page = 1  # the page on screen
        self.wanted = 1  # the page last asked for: a retry (or the reload after a login) asks again
        self.last = 1
        self.total = 0
        self.loaded = False  # a page has arrived since the last (re)start

    def compose(self) -> ComposeResult:
        yield Static("", id="activity-pages", markup=False)
        yield Static("", id="activity-message", markup=False)
        yield ErrorPanel(id="activity-error")
        yield DataTable(id="activity", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label in COLUMNS:
            table.add_column(label)
        self.query_one("#activity-error", ErrorPanel).display = False

    def not_available(self, reason: str) -> None:
        self.loaded = False
        self.page = self.wanted = 1
        self.query_one("#activity-error", ErrorPanel).display = False
        self.query_one(DataTable).clear()
        self.query_one("#activity-pages", Static).update("")
        self._say(reason)

    def load(self, client: ControlPlaneClient, page: int | None = None) -> None:
        """Load `page` (default: the one last asked for); the shown page stays until it arrives."""
        self.wanted = max(1, page or self.wanted)
        self.query_one(DataTable).loading = True
        self.fetch(client, self.wanted)

    def can_go(self, step: int) -> bool:
        return self.loaded and 1 <= self.page + step <= self.last

    @work(exclusive=True, group="account-activity")
    async def fetch(self, client: ControlPlaneClient, page: int) -> None:
        from tm_tui.api.errors import TmError

        try:
            result = await client.activities(page=page, size=PAGE_SIZE)
        except TmError as error:
            self.post_message(self.Loaded(page, None, error))
            self.post_message(ContextChanged())  # a 401 may have expired the login
        else:
            self.post_message(self.Loaded(page, result))

    def on_activity_pane_loaded(self, message: Loaded) -> None:
        table = self.query_one(DataTable)
        table.loading = False
        if self.query_one("#activity-error", ErrorPanel).show(
            explain(message.error, "read the activity log")
        ):
            if self.loaded:
                self._say(f"Still showing page {self.page}; r retries page {message.page}.")
            else:
                self._say("r retries.")
            return
        result = message.result
        activities = result.activities if result is not None else []
        self.page = message.page
        self.total = result.total if result is not None and result.total is not None else len(activities)
        self.last = last_page(self.total, PAGE_SIZE)
        self.loaded = True
        table.clear()
        for activity in activities:
            table.add_row(*(Text(cell) for cell in activity_cells(activity)))
        if self.total == 0:
            self.query_one("#activity-pages", Static).update("")
            self._say("No activity yet: what you do with this account (keys, profile, logins) shows here.")
            return
        self.query_one("#activity-pages", Static).update(
            page_bar(self.page, self.last, self.total, "activities")
        )
        if not activities:
            self._say(f"Page {self.page} is empty: the list has shrunk. [ goes back.")
        else:
            self._say("[ previous page · ] next page · r reloads")

    def _say(self, text: str) -> None:
        self.query_one("#activity-message", Static).update(Text(text, "dim"))
