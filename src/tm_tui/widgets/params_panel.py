"""The parameters panel: system prompt, every field of `chat.params`, presets per profile.

Fields hold text exactly as typed; each change is validated with `validate_params` and a bad value
shows its message under the field (the value is then not sent — the server default applies).
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from tm_tui.chat.modes import Mode
from tm_tui.chat.params import PARAM_FIELDS, Params, validate_params
from tm_tui.chat.presets import PresetError, PresetStore


class ParamsPanel(VerticalScroll):
    DEFAULT_CLASSES = "params-panel"

    class Changed(Message):
        """The system prompt or a parameter changed; `errors` maps field keys to messages."""

        def __init__(self, params: Params, errors: dict[str, str], system_prompt: str) -> None:
            super().__init__()
            self.params = params
            self.errors = errors
            self.system_prompt = system_prompt

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.presets: PresetStore | None = None
        self.profile = "default"
        self.mode = Mode.CHAT

    def compose(self) -> ComposeResult:
        yield Label("System prompt", classes="param-label")
        yield TextArea(id="system-prompt", soft_wrap=True, tab_behavior="focus")
        for field in PARAM_FIELDS:
            with Horizontal(classes="param-row"):
                yield Label(field.label, classes="param-label")
                yield Input(id=f"param-{field.key}", placeholder=field.hint, classes="param-input")
            yield Static("", id=f"param-error-{field.key}", classes="param-error", markup=False)
        yield Static("", id="param-mode-note", classes="param-note", markup=False)
        yield Label("Presets (this profile)", classes="param-label")
        with Horizontal(classes="param-row"):
            yield Input(id="preset-name", placeholder="name", classes="preset-input")
            yield Button("Save", id="preset-save", compact=True)
        with Horizontal(classes="param-row"):
            yield Select[str]([], id="preset-select", prompt="load a preset…", compact=True)
            yield Button("Delete", id="preset-delete", compact=True)

    # -- values

    def raw_values(self) -> dict[str, str]:
        return {field.key: self.query_one(f"#param-{field.key}", Input).value for field in PARAM_FIELDS}

    @property
    def system_prompt(self) -> str:
        return self.query_one("#system-prompt", TextArea).text

    def load(self, raw: dict[str, str], system_prompt: str, *, announce: bool = True) -> None:
        """Fill the fields (a resumed conversation, a preset)."""
        for field in PARAM_FIELDS:
            self.query_one(f"#param-{field.key}", Input).value = str(raw.get(field.key) or "")
        self.query_one("#system-prompt", TextArea).text = system_prompt
        self.validate(announce=announce)

    def set_mode(self, mode: Mode) -> None:
        self.mode = mode
        self.validate(announce=False)

    def validate(self, *, announce: bool = True) -> tuple[Params, dict[str, str]]:
        params, errors = validate_params(self.raw_values())
        for field in PARAM_FIELDS:
            message = errors.get(field.key, "")
            note = self.query_one(f"#param-error-{field.key}", Static)
            note.update(Text(message))
            note.display = bool(message)
            self.query_one(f"#param-{field.key}", Input).set_class(bool(message), "-invalid")
        unsupported = params.unsupported_in(self.mode)
        mode_note = self.query_one("#param-mode-note", Static)
        mode_note.update(Text(f"Not sent in {self.mode.value} mode: {', '.join(unsupported)}"))
        mode_note.display = bool(unsupported)
        if announce:
            self.post_message(self.Changed(params, errors, self.system_prompt))
        return params, errors

    @on(Input.Changed, ".param-input")
    @on(TextArea.Changed, "#system-prompt")
    def _edited(self, event: Message) -> None:
        event.stop()
        self.validate()

    # -- presets

    def use_presets(self, store: PresetStore, profile: str) -> None:
        self.presets, self.profile = store, profile
        self._refresh_presets()

    def _refresh_presets(self, selected: str | None = None) -> None:
        select = self.query_one("#preset-select", Select)
        names: list[str] = []
        if self.presets is not None:
            try:
                names = self.presets.names(self.profile)
            except PresetError as error:
                self.notify(str(error), title="Presets", severity="warning", markup=False)
        select.set_options((name, name) for name in names)
        if selected in names:
            select.value = selected

    def save_preset(self, name: str) -> bool:
        params, errors = self.validate(announce=False)
        if self.presets is None:
            return False
        if errors:
            self.notify("Fix the highlighted parameters first.", title="Preset not saved", severity="warning")
            return False
        try:
            self.presets.save(self.profile, name, params)
        except PresetError as error:
            self.notify(str(error), title="Preset not saved", severity="error", markup=False)
            return False
        self._refresh_presets(selected=name.strip())
        self.notify(f"Saved preset {name.strip()!r}.", markup=False)
        return True

    def load_preset(self, name: str) -> None:
        if self.presets is None:
            return
        try:
            params, bad = self.presets.load(self.profile, name)
        except PresetError as error:
            self.notify(str(error), title="Preset", severity="error", markup=False)
            return
        self.load(params.to_raw(), self.system_prompt)
        if bad:
            self.notify(
                "Some values no longer validate and were left out.", title="Preset", severity="warning"
            )

    @on(Button.Pressed, "#preset-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.save_preset(self.query_one("#preset-name", Input).value)

    @on(Input.Submitted, "#preset-name")
    def _name_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.save_preset(event.value)

    @on(Select.Changed, "#preset-select")
    def _preset_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str):
            self.load_preset(event.value)

    @on(Button.Pressed, "#preset-delete")
    def _delete_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        name = self.query_one("#preset-select", Select).value
        if self.presets is None or not isinstance(name, str):
            return
        try:
            self.presets.delete(self.profile, name)
        except PresetError as error:
            self.notify(str(error), title="Preset", severity="error", markup=False)
            return
        self._refresh_presets()
