"""Use an on-demand deployment for Chat, as `tm init --sync` does (reference §7.4): the provider picks
the host, the record's `apiKey` becomes the inference key, the user id comes from the profile or
`/auth/profile`, and the deployment's served name becomes the on-demand model — one session change.
Shared by Models' on-demand tab and the Deployments section."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from tm_tui.session import SessionChange
from tm_tui.surface import Surface
from tm_tui.text_safety import sanitize
from tm_tui.widgets.deployment_table import provider_of

if TYPE_CHECKING:
    from tm_tui.api.models.control_plane import Deployment
    from tm_tui.app import TmApp
    from tm_tui.session import Session


async def use_deployment(app: TmApp, session: Session, deployment: Deployment) -> str:
    """Ask the app for the change that makes `deployment` the on-demand model and on-demand the active
    surface; returns a line saying what is now used. Raises `TmError`, `ProfileError` or
    `ConfigFileError`."""
    from tm_tui.api.errors import ConfigError
    from tm_tui.config import save_inference_key

    user_id = await session.on_demand_user_id()
    if not user_id:
        raise ConfigError(
            "No on-demand user id is known.",
            hint="Set one in Settings or log in to the control plane.",
        )
    changes: dict[str, object] = {"gateway_provider": provider_of(deployment), "on_demand_base_url": None}
    if not session.settings.on_demand_user_id.value:
        changes["on_demand_user_id"] = user_id
    change = SessionChange(
        profile_fields=changes,
        save=partial(save_inference_key, session.settings, deployment.api_key),
        surface=Surface.ON_DEMAND,
        model=deployment.inference_name,
        reload=True,
    )
    await app.change_session(change)
    url = session.settings.on_demand_base_url
    text = f"On-demand model: {sanitize(deployment.inference_name or '')} at {sanitize(url.value)}."
    if url.source in ("env", "flag"):
        text += f" Note: {url.label} overrides the provider's host."
    return text
