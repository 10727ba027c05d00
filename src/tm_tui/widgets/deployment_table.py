"""On-demand deployments (control-plane model records) in a table: only usable ones can be chosen.

A deployment is usable the way `tm init --sync` sees it (reference §7.4): status UP, a served model
name, an API key on the record and a known cloud provider. The others are listed greyed with the
reason, so the user knows why they cannot pick them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.widgets import DataTable

from tm_tui.config.values import provider_for_cloud
from tm_tui.text_safety import inert, sanitize

# Longest name or endpoint shown in a cell: a long server string would push the other columns away.
CELL_MAX = 48

if TYPE_CHECKING:
    from tm_tui.api.models.control_plane import Deployment

STATUS_UP = "MODEL_STATUS_UP"


def short_enum(value: str | None, prefix: str) -> str:
    """`MODEL_STATUS_UP` → `up`; unknown shapes pass through (sanitised)."""
    if not value:
        return "?"
    return sanitize(value.removeprefix(prefix).lower())


def provider_of(deployment: Deployment) -> str | None:
    return provider_for_cloud(deployment.infra.cloud_provider if deployment.infra else None)


def unusable_reason(deployment: Deployment) -> str | None:
    """Why this deployment cannot be chosen for on-demand inference; None when it can."""
    if deployment.status != STATUS_UP:
        return f"status is {short_enum(deployment.status, 'MODEL_STATUS_')}, not up"
    if not deployment.inference_name:
        return "no served model name"
    if not deployment.api_key:
        return "no API key on the deployment"
    if provider_of(deployment) is None:
        return "unknown cloud provider"
    return None


def gpu_text(deployment: Deployment) -> str:
    gpu = short_enum(deployment.gpu_type, "GPU_TYPE_").upper()
    return f"{deployment.gpu_count or '?'}× {gpu}"


def row_key(deployment: Deployment, index: int) -> str:
    return deployment.model_id or deployment.deployment_id or f"row-{index}"


class DeploymentTable(DataTable):
    COLUMNS: ClassVar[tuple[str, ...]] = ("Name", "Status", "GPU", "Provider", "Endpoint", "Note")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.deployments: dict[str, Deployment] = {}

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        # Also from `set_deployments`: a fast load may arrive before this table's own mount event.
        if not self.columns:
            for label in self.COLUMNS:
                self.add_column(label, key=label.lower())

    def set_deployments(self, deployments: Sequence[Deployment]) -> None:
        self._add_columns()
        self.clear()
        self.deployments = {}
        # Usable ones first, so the cursor starts on one that can be chosen.
        ordered = sorted(enumerate(deployments), key=lambda item: unusable_reason(item[1]) is not None)
        for index, deployment in ordered:
            key = row_key(deployment, index)
            self.deployments[key] = deployment
            reason = unusable_reason(deployment)
            style = "dim" if reason else ""
            cells = self.cells(deployment, reason)
            self.add_row(*(Text(cell, style) for cell in cells), key=key)

    def cells(self, deployment: Deployment, reason: str | None) -> list[str]:
        """One row's text, column by column (`COLUMNS`)."""
        return [
            inert(deployment.inference_name or "?", max_len=CELL_MAX).plain,
            short_enum(deployment.status, "MODEL_STATUS_"),
            gpu_text(deployment),
            provider_of(deployment)
            or short_enum(deployment.infra.cloud_provider if deployment.infra else None, "CLOUD_PROVIDER_"),
            inert(deployment.endpoint or "—", max_len=CELL_MAX).plain,
            reason or "ready",
        ]

    @property
    def current(self) -> Deployment | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self.deployments.get(key or "")
