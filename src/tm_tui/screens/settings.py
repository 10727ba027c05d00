"""Settings section: profiles (list, create, edit, switch at runtime, delete) and the theme.

Profiles live in tm-tui's config.toml (`ProfileStore`); the demo profile of `--demo` lives in memory
only and is listed but not editable. Switching asks the app to rebuild the session's clients (`SessionChange`), so
every section reloads through `ContextChanged` — no restart. The right-hand pane shows every resolved
setting of the active profile and where it came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from tm_tui import text_safety
from tm_tui.screens.sections import SectionScreen
from tm_tui.session import SessionChange
from tm_tui.text_safety import sanitize
from tm_tui.widgets.confirm import ConfirmScreen
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.profile_form import TEXT_FIELDS, ProfileForm, Values

if TYPE_CHECKING:
    from tm_tui.config import Profile, ProfileStore
    from tm_tui.session import Session
    from tm_tui.state import AppContext

DEMO = "demo"
# Profile fields shown in the details pane: (field, label).
DETAIL_FIELDS: tuple[tuple[str, str], ...] = (
    *((field, label) for field, label, _ in TEXT_FIELDS),
    ("gateway_provider", "On-demand provider"),
    ("surface", "Surface"),
    ("model", "Serverless model"),
    ("on_demand_model", "On-demand model"),
    ("uses_tm_cli_files", "Shares tm CLI files"),
)


def profile_details(profile: Profile) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(no_wrap=True, overflow="ellipsis")
    for field, label in DETAIL_FIELDS:
        value = getattr(profile, field)
        if isinstance(value, bool):
            shown = Text("yes" if value else "no")
        elif value is None:
            shown = Text("not set", "dim italic")
        elif field.endswith("_url"):
            shown = Text(text_safety.display_url(value))
        else:
            shown = Text(sanitize(str(value)))
        table.add_row(label, shown)
    for provider, url in sorted(profile.on_demand_hosts.items()):
        table.add_row(f"Host for {provider}", Text(text_safety.display_url(url)))
    return table


def resolved_table(session: Session) -> Table:
    table = Table(box=None, padding=(0, 1), expand=True)
    table.add_column("Setting", style="dim", no_wrap=True)
    table.add_column("Value", overflow="fold")
    table.add_column("From", style="dim", overflow="fold")
    for row in session.settings.describe():
        value = text_safety.display_url(row.value) if row.name.endswith("URL") else sanitize(row.value)
        table.add_row(row.name, Text(value), Text(sanitize(row.source)))
    return table


class SettingsScreen(SectionScreen):
    SECTION_ID = "settings"
    CSS_PATH = Path(__file__).with_name("settings.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_profile", "New profile", id="settings.profile.new"),
        Binding(
            "e", "edit_profile", "Edit", id="settings.profile.edit", tooltip="Edit the highlighted profile"
        ),
        Binding(
            "s",
            "switch_profile",
            "Switch profile",
            id="settings.profile.switch",
            tooltip="Make the highlighted profile the active one",
        ),
        Binding(
            "d",
            "delete_profile",
            "Delete",
            id="settings.profile.delete",
            tooltip="Delete the highlighted profile",
        ),
        Binding("t", "theme", "Theme", id="settings.theme", tooltip="Choose the colour theme"),
    ]

    class Switched(Message):
        def __init__(self, name: str, error: BaseException | None = None) -> None:
            super().__init__()
            self.name, self.error = name, error

    def __init__(self) -> None:
        super().__init__()
        self.profiles: dict[str, Profile] = {}

    def compose_body(self) -> ComposeResult:
        # Profiles beside the highlighted one's stored values; the resolved settings full-width
        # below, so URLs and source labels fit on one line (stacked when narrow, see settings.tcss).
        with VerticalScroll(id="settings-body"):
            with Horizontal(id="settings-top"):
                with Vertical(id="profiles-box", classes="box") as box:
                    box.border_title = "Profiles (enter switches)"
                    yield DataTable(id="profiles", cursor_type="row", zebra_stripes=True)
                    yield Static("", id="profiles-message", markup=False)
                    yield ErrorPanel(id="profiles-error")
                with Vertical(id="details-box", classes="box") as details:
                    details.border_title = "Stored values"
                    yield Static("", id="profile-details", markup=False)
            with Vertical(id="resolved-box", classes="box") as box:
                box.border_title = "Active settings and where they come from"
                yield Static("waiting for settings…", id="resolved", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#profiles", DataTable)
        table.add_column("", key="active", width=1)
        table.add_column("Profile", key="name")
        table.add_column("Credentials", key="credentials")
        self.query_one("#profiles-error", ErrorPanel).display = False
        super().on_mount()  # last: it may run session_changed at once

    # -- following the session ---------------------------------------------------------------------
    def context_changed(self, context: AppContext) -> None:
        if self.app.session is not None:
            self.load_profiles(self.app.session)

    def store(self, session: Session) -> ProfileStore:
        from tm_tui.config import ProfileStore

        return ProfileStore(session.settings.tui_config_dir)

    def load_profiles(self, session: Session) -> None:
        """Re-read the stored profiles (cheap: one small file) and show them."""
        from tm_tui.config import ConfigFileError

        self.query_one("#resolved", Static).update(resolved_table(session))
        try:
            stored = self.store(session).list()
        except ConfigFileError as error:
            self.show_error(error)
            stored = []
        profiles = [*stored]
        if session.options.demo:  # the in-memory demo profile, listed first
            demo = session.settings.profile if session.demo else None
            profiles.insert(0, demo or _demo_placeholder())
        self.profiles = {p.name: p for p in profiles}
        table = self.query_one("#profiles", DataTable)
        keep = self.highlighted
        table.clear()
        for profile in profiles:
            active = profile.name == session.profile_name
            credentials = (
                "in memory"
                if profile.name == DEMO
                else "tm CLI files"
                if profile.uses_tm_cli_files
                else "own"
            )
            style = "bold" if active else ""
            table.add_row(
                Text("●" if active else " ", "green"),
                Text(sanitize(profile.name), style),
                Text(credentials, "dim"),
                key=profile.name,
            )
        target = keep if keep in self.profiles else session.profile_name
        if target in self.profiles:
            table.move_cursor(row=table.get_row_index(target))
        self.show_details()

    @property
    def highlighted(self) -> str | None:
        table = self.query_one("#profiles", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.show_details()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_switch_profile()

    def show_details(self) -> None:
        profile = self.profiles.get(self.highlighted or "")
        box = self.query_one("#details-box")
        box.display = profile is not None
        if profile is not None:
            box.border_title = f"Stored values of {sanitize(profile.name)}"
            self.query_one("#profile-details", Static).update(profile_details(profile))

    def show_message(self, text: str) -> None:
        self.query_one("#profiles-error", ErrorPanel).display = False
        self.query_one("#profiles-message", Static).update(Text(text, "bold"))

    def show_error(self, error: BaseException) -> None:
        self.query_one("#profiles-error", ErrorPanel).show(error)
        self.query_one("#profiles-message", Static).update("")

    # -- actions -----------------------------------------------------------------------------------
    def action_new_profile(self) -> None:
        session = self.app.session
        if session is None:
            return

        def save(name: str, values: Values) -> None:
            from tm_tui.config import Profile

            self.store(session).create(Profile(name=name, **values))

        self.app.push_screen(ProfileForm("New profile", save), self._created)

    def _created(self, name: str | None) -> None:
        if name and self.app.session is not None:
            self.load_profiles(self.app.session)
            table = self.query_one("#profiles", DataTable)
            table.move_cursor(row=table.get_row_index(name))
            self.show_message(f"Created profile {name}. Press s to switch to it.")

    def action_edit_profile(self) -> None:
        session = self.app.session
        name = self.highlighted
        if session is None or name is None:
            return
        if name == DEMO and session.options.demo:
            self.show_message("The demo profile is built in; create a profile (n) to customise one.")
            return
        profile = self.profiles[name]

        def save(name: str, values: Values) -> None:
            self.store(session).update(name, **values)

        values = {field: getattr(profile, field) for field, _, _ in TEXT_FIELDS}
        values["gateway_provider"] = profile.gateway_provider
        form = ProfileForm(f"Edit profile {name}", save, name=name, values=values, rename=False)
        self.app.push_screen(form, self._edited)

    def _edited(self, name: str | None) -> None:
        session = self.app.session
        if not name or session is None:
            return
        if name == session.profile_name:
            self.apply_edit(name)  # the active profile: rebuild the clients with it
        else:
            self.load_profiles(session)
            self.show_message(f"Saved profile {name}.")

    @work(exclusive=True, group="settings-profile")
    async def apply_edit(self, name: str) -> None:
        from tm_tui.config import ConfigFileError, ProfileError

        try:
            await self.app.change_session(SessionChange(reload=True))
        except (ProfileError, ConfigFileError) as error:
            self.post_message(self.Switched(name, error))
            return
        self.post_message(self.Switched(name))

    def action_switch_profile(self) -> None:
        session = self.app.session
        name = self.highlighted
        if session is None or name is None:
            return
        if name == session.profile_name:
            self.show_message(f"{name} is already the active profile.")
            return
        self.show_message(f"Switching to {name}…")
        self.switch_to(name)

    @work(exclusive=True, group="settings-profile")
    async def switch_to(self, name: str) -> None:
        from tm_tui.config import ConfigFileError, ProfileError

        try:
            await self.app.change_session(SessionChange(profile=name))
        except (ProfileError, ConfigFileError) as error:
            self.post_message(self.Switched(name, error))
            return
        self.post_message(self.Switched(name))

    def on_settings_screen_switched(self, message: Switched) -> None:
        session = self.app.session
        if message.error is not None:
            self.show_error(message.error)
            return
        if session is not None:
            self.app.show_problems(session)
        self.show_message(f"Active profile: {message.name}.")

    def action_delete_profile(self) -> None:
        from tm_tui.config import DEFAULT_PROFILE

        session = self.app.session
        name = self.highlighted
        if session is None or name is None:
            return
        refusal = None
        if name == DEFAULT_PROFILE:
            refusal = "The default profile cannot be deleted."
        elif name == DEMO and session.options.demo:
            refusal = "The demo profile is built in and cannot be deleted."
        elif name == session.profile_name:
            refusal = f"{name} is the active profile: switch to another one (s) before deleting it."
        if refusal:
            self.show_message(f"✗ {refusal}")
            return
        question = f"Delete the profile {name} and the credentials stored with it? This cannot be undone."
        self.app.push_screen(
            ConfirmScreen("Delete profile", question, yes="Delete"),
            lambda confirmed: self._delete(name) if confirmed else None,
        )

    def _delete(self, name: str) -> None:
        from tm_tui.config import ConfigFileError, ProfileError

        session = self.app.session
        if session is None:
            return
        try:
            self.store(session).delete(name)
        except (ProfileError, ConfigFileError) as error:
            self.show_error(error)
            return
        self.app.cache.forget(name)
        self.app.save_cache()
        self.load_profiles(session)
        self.show_message(f"Deleted profile {name}.")

    def action_pick_profile(self) -> None:
        """Focus the profile list, where enter switches (the app-wide "Switch profile")."""
        self.query_one("#profiles", DataTable).focus()
        self.show_message("Choose a profile: enter switches to it.")

    def action_theme(self) -> None:
        self.app.action_change_theme()


def _demo_placeholder() -> Profile:
    from tm_tui.config import Profile

    return Profile(name=DEMO)
