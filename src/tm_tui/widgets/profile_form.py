"""`ProfileForm`: a modal to create or edit a profile, with a validation message under each field.

Values are checked with the `Profile` model's own validators, so the form and the settings files
agree on what is valid. Saving is delegated to `save(values)`, which may raise `ProfileError` or
`ConfigFileError` (duplicate name, unreadable config file): the message is shown in the form, which
stays open. On success the form dismisses with the saved profile's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tm_tui.text_safety import sanitize

PROVIDERS = ("nebius", "lambda", "yotta")
# (Profile field, label, placeholder) of the text fields, in display order.
TEXT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("control_plane_base_url", "Control-plane URL", "https://api.tensormesh.ai (default)"),
    ("serverless_base_url", "Serverless URL", "https://serverless.tensormesh.ai (default)"),
    ("on_demand_base_url", "On-demand URL", "from the provider (default)"),
    ("on_demand_user_id", "On-demand user id", "a UUID; from your login when empty"),
    ("timeout_s", "Timeout (s)", "30 (default)"),
)

type Values = dict[str, Any]


def form_errors(name: str, values: Mapping[str, Any]) -> dict[str, str]:
    """Field → message for every invalid value (an empty dict when all are valid)."""
    from pydantic import ValidationError

    from tm_tui.config.profiles import Profile, validate_profile_name

    errors: dict[str, str] = {}
    try:
        validate_profile_name(name)
    except ValueError as exc:
        errors["name"] = str(exc)
    try:
        Profile.model_validate({"name": "check", **values})
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "name"
            errors.setdefault(field, error["msg"].removeprefix("Value error, "))
    return errors


class ProfileForm(ModalScreen[str | None]):
    CSS_PATH = Path(__file__).with_name("profile_form.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="profile_form.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="profile_form.cancel"),
    ]

    def __init__(
        self,
        title: str,
        save: Callable[[str, Values], None],
        *,
        name: str = "",
        values: Mapping[str, Any] | None = None,
        rename: bool = True,
    ) -> None:
        super().__init__()
        self.form_title = title
        self.save = save
        self.initial_name = name
        self.initial = dict(values or {})
        self.rename = rename  # False when editing: the name is fixed

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box") as box:
            box.border_title = self.form_title
            box.border_subtitle = "ctrl+s saves · esc cancels"
            with VerticalScroll(id="form-fields"):
                yield from self._field(
                    "name", "Name", Input(self.initial_name, id="field-name", disabled=not self.rename)
                )
                for field, label, placeholder in TEXT_FIELDS:
                    value = self.initial.get(field)
                    widget = Input(
                        "" if value is None else str(value), placeholder=placeholder, id=f"field-{field}"
                    )
                    yield from self._field(field, label, widget)
                provider = self.initial.get("gateway_provider")
                select = Select(
                    [(p, p) for p in PROVIDERS],
                    prompt="nebius (default)",
                    value=provider if provider in PROVIDERS else Select.NULL,
                    id="field-gateway_provider",
                )
                yield from self._field("gateway_provider", "On-demand provider", select)
            yield Static("", id="form-message", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button("Save (ctrl+s)", id="form-save", variant="primary")
                yield Button("Cancel (esc)", id="form-cancel")

    def _field(self, field: str, label: str, widget: Input | Select) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label(label, classes="form-label")
            with Vertical(classes="form-input"):
                yield widget
                yield Static("", id=f"error-{field}", classes="field-error", markup=False)

    def on_mount(self) -> None:
        first = "#field-name" if self.rename else f"#field-{TEXT_FIELDS[0][0]}"
        self.query_one(first).focus()

    def values(self) -> tuple[str, Values]:
        name = self.query_one("#field-name", Input).value.strip()
        values: Values = {
            field: self.query_one(f"#field-{field}", Input).value.strip() or None
            for field, _, _ in TEXT_FIELDS
        }
        provider = self.query_one("#field-gateway_provider", Select).value
        values["gateway_provider"] = None if provider is Select.NULL else provider
        return name, values

    def action_save(self) -> None:
        from tm_tui.config.errors import ConfigFileError, ProfileError

        name, values = self.values()
        errors = form_errors(name, values)
        for error_widget in self.query(".field-error").results(Static):
            field = (error_widget.id or "").removeprefix("error-")
            error_widget.update(sanitize(errors.get(field, "")))
            error_widget.display = field in errors
        message = self.query_one("#form-message", Static)
        if errors:
            message.update(f"✗ Fix the {len(errors)} field(s) marked above.")
            return
        try:
            self.save(name, values)
        except (ProfileError, ConfigFileError) as exc:
            message.update(f"✗ {sanitize(str(exc))}")
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-save":
            self.action_save()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()
