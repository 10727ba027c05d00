"""The Support section's forms: a new ticket, and the reserved-deployment request.

Each field is checked as it changes (once touched) and all of them on submit, with the message
under the field. The form sends the request itself and stays open until the server accepts it: a
rejection is shown on the form (on the field it names, when it names one), and nothing typed is lost.
On success the form dismisses with the server's answer (the ticket, or the request id).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from tm_tui.text_safety import sanitize
from tm_tui.widgets.error_panel import ErrorPanel

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient

type Values = dict[str, str]
Check = Callable[[str], str | None]  # a value → an error message, or None when it is fine

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def required(value: str) -> str | None:
    return None if value.strip() else "Required."


def at_most(limit: int) -> Check:
    def check(value: str) -> str | None:
        return f"At most {limit} characters ({len(value)} now)." if len(value) > limit else None

    return check


def email(value: str) -> str | None:
    return None if not value.strip() or _EMAIL.fullmatch(value.strip()) else "Not an email address."


@dataclass(frozen=True)
class Field:
    name: str  # the request's field (snake_case, as the API layer takes it)
    label: str
    placeholder: str = ""
    checks: tuple[Check, ...] = ()
    kind: str = "input"  # "input" | "text" (several lines) | "select"
    options: tuple[tuple[str, str], ...] = ()  # (label, value) of a select

    @property
    def wire_name(self) -> str:
        head, *rest = self.name.split("_")
        return head + "".join(part.title() for part in rest)


def field_errors(fields: tuple[Field, ...], values: Mapping[str, str]) -> dict[str, str]:
    """Field name → the first failed check's message, for every invalid field."""
    errors = {}
    for spec in fields:
        for check in spec.checks:
            message = check(values.get(spec.name, ""))
            if message:
                errors[spec.name] = message
                break
    return errors


def field_named_by(fields: tuple[Field, ...], message: str) -> Field | None:
    """The field a server message starts with (`workEmail: invalid …`), if any."""
    head = message.split(":", 1)[0].strip().lower()
    return next((f for f in fields if head in (f.name, f.wire_name.lower())), None)


class ApiForm(ModalScreen[Any]):
    """A modal form whose `send` coroutine runs against the control plane; see the module doc."""

    CSS_PATH = Path(__file__).with_name("support_forms.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Send", id="form.send", priority=True),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]
    TITLE_TEXT = ""
    INTRO = ""
    FIELDS: ClassVar[tuple[Field, ...]] = ()

    class Sent(Message):
        def __init__(self, result: object = None, error: BaseException | None = None) -> None:
            super().__init__()
            self.result, self.error = result, error

    def __init__(self, client: ControlPlaneClient, initial: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.client = client
        self.initial = dict(initial or {})
        self.touched: set[str] = set()
        self.sending = False

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box") as box:
            box.border_title = self.TITLE_TEXT
            if self.INTRO:
                yield Static(self.INTRO, id="form-intro", markup=False)
            with VerticalScroll(id="form-fields"):
                for spec in self.FIELDS:
                    with Horizontal(classes="form-row"):
                        yield Label(spec.label, classes="form-label")
                        with Vertical(classes="form-input"):
                            yield self.field_widget(spec)
                            yield Static("", id=f"{spec.name}-error", classes="field-error", markup=False)
            yield ErrorPanel(id="form-error")
            yield Static("", id="form-message", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button("Send (ctrl+s)", id="form-send", variant="primary")
                yield Button("Cancel (esc)", id="form-cancel")

    def field_widget(self, spec: Field) -> Input | TextArea | Select:
        value = self.initial.get(spec.name, "")
        if spec.kind == "text":
            area = TextArea(value, id=spec.name, soft_wrap=True, show_line_numbers=False)
            area.border_title = spec.placeholder
            return area
        if spec.kind == "select":
            return Select(spec.options, value=value or spec.options[0][1], id=spec.name, allow_blank=False)
        return Input(value, placeholder=spec.placeholder, id=spec.name)

    def on_mount(self) -> None:
        self.query_one("#form-error", ErrorPanel).display = False
        self.query_one(f"#{self.FIELDS[0].name}").focus()

    # -- values and checks ---------------------------------------------------------------------------
    def values(self) -> Values:
        values: Values = {}
        for spec in self.FIELDS:
            widget = self.query_one(f"#{spec.name}")
            if isinstance(widget, TextArea):
                values[spec.name] = widget.text
            elif isinstance(widget, Select):
                values[spec.name] = "" if widget.value is Select.BLANK else str(widget.value)
            elif isinstance(widget, Input):
                values[spec.name] = widget.value
        return values

    def show_field_errors(self, errors: Mapping[str, str], only: set[str] | None = None) -> None:
        for spec in self.FIELDS:
            if only is not None and spec.name not in only:
                continue
            line = self.query_one(f"#{spec.name}-error", Static)
            message = errors.get(spec.name)
            line.update(f"✗ {message}" if message else "")
            line.display = bool(message)

    def _changed(self, name: str) -> None:
        self.touched.add(name)
        self.show_field_errors(field_errors(self.FIELDS, self.values()), only=self.touched)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id:
            self._changed(event.input.id)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id:
            self._changed(event.text_area.id)

    # -- sending ---------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-send":
            self.action_submit()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_submit(self) -> None:
        if self.sending:
            return
        values = self.values()
        errors = field_errors(self.FIELDS, values)
        self.touched = {spec.name for spec in self.FIELDS}
        self.show_field_errors(errors)
        message = self.query_one("#form-message", Static)
        if errors:
            message.update(f"✗ {len(errors)} field(s) to fix before sending.")
            self.query_one(f"#{next(iter(errors))}").focus()
            return
        self.sending = True
        message.update("Sending…")
        self.run_send(values)

    @work(exclusive=True, group="form-send")
    async def run_send(self, values: Values) -> None:
        from tm_tui.api.errors import TmError

        try:
            result = await self.send(values)
        except TmError as error:
            self.post_message(self.Sent(error=error))
            return
        self.post_message(self.Sent(result))

    async def send(self, values: Values) -> object:
        raise NotImplementedError

    def on_api_form_sent(self, message: Sent) -> None:
        self.sending = False
        if message.error is None:
            self.dismiss(message.result)
            return
        self.query_one("#form-error", ErrorPanel).show(message.error)
        self.query_one("#form-message", Static).update(
            "✗ Not sent; your text is kept. Fix it or retry (ctrl+s)."
        )
        spec = field_named_by(self.FIELDS, getattr(message.error, "message", ""))
        if spec is not None:
            text = sanitize(getattr(message.error, "message", "")).split(":", 1)[-1].strip()
            self.show_field_errors({spec.name: f"Server: {text}"}, only={spec.name})

    def action_cancel(self) -> None:
        self.dismiss(None)


TICKET_TYPES = (
    ("Technical", "TICKET_TYPE_TECHNICAL"),
    ("Billing", "TICKET_TYPE_BILLING"),
    ("Account", "TICKET_TYPE_ACCOUNT"),
    ("Feature request", "TICKET_TYPE_FEATURE_REQUEST"),
)


class NewTicketForm(ApiForm):
    TITLE_TEXT = "New support ticket"
    FIELDS = (
        Field("subject", "Subject", "one line: what is wrong", (required, at_most(200))),
        Field("type", "Type", kind="select", options=TICKET_TYPES),
        Field(
            "message",
            "Message",
            "what happened, request ids, what you expected",
            (required, at_most(10_000)),
            "text",
        ),
    )

    async def send(self, values: Values) -> object:
        return await self.client.create_ticket(values["subject"].strip(), values["message"], values["type"])


GPU_CHOICES = (
    ("No preference", ""),
    ("H100", "GPU_TYPE_H100"),
    ("H200", "GPU_TYPE_H200"),
    ("B200", "GPU_TYPE_B200"),
    ("A100", "GPU_TYPE_A100"),
    ("L40S", "GPU_TYPE_L40S"),
)
SHORT, LONG = at_most(200), at_most(2000)


class ReservedDeploymentForm(ApiForm):
    TITLE_TEXT = "Reserved deployment request"
    INTRO = "Ask the Tensormesh sales team for dedicated GPU capacity. They answer by email."
    FIELDS = (
        Field("full_name", "Full name", "Ada Lovelace", (required, SHORT)),
        Field("work_email", "Work email", "ada@example.com", (required, email, SHORT)),
        Field("company", "Company", "", (required, SHORT)),
        Field("job_title", "Job title", "optional", (SHORT,)),
        Field("preferred_gpu", "Preferred GPU", kind="select", options=GPU_CHOICES),
        Field("total_gpus_needed", "GPUs needed", "e.g. 8-16 GPUs", (required, SHORT)),
        Field("deployment_timeline", "Timeline", "e.g. 1-3 months", (SHORT,)),
        Field("workload_use_case", "Workload", "what you will run", (required, LONG)),
        Field("networking_storage", "Network/storage", "optional, e.g. 100 Gbps, 10 TB NVMe", (SHORT,)),
        Field("other_notes", "Other notes", "optional", (LONG,), "text"),
    )

    async def send(self, values: Values) -> object:
        from tm_tui.api.models.control_plane import ReservedDeploymentRequest

        request = ReservedDeploymentRequest(**{k: v.strip() or None for k, v in values.items()})
        return await self.client.request_reserved_deployment(request) or ""
