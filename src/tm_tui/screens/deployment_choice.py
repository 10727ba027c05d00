"""Use an on-demand deployment for Chat, as `tm init --sync` does (reference §7.4): the provider picks
the host, the record's `apiKey` becomes the inference key, the user id comes from the profile or
`/auth/profile`, and the deployment's served name becomes the on-demand model. Shared by Models'
on-demand tab and the Deployments section."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tm_tui.widgets.deployment_table import provider_of
from tm_tui.widgets.error_panel import sanitize

if TYPE_CHECKING:
    from tm_tui.api.models.control_plane import Deployment
    from tm_tui.session import Session

ON_DEMAND = "on_demand"


async def use_deployment(session: Session, deployment: Deployment) -> str:
    """Store everything on-demand chat needs and make on-demand the active surface; returns a line
    saying what is now used. Raises `TmError`, `ProfileError` or `ConfigFileError`."""
    from tm_tui.api.errors import ConfigError
    from tm_tui.config import save_inference_key
    from tm_tui.screens.account import user_id_for_on_demand

    user_id = await user_id_for_on_demand(session)
    if not user_id:
        raise ConfigError(
            "No on-demand user id is known.",
            hint="Set one in Settings or log in to the control plane.",
        )
    changes: dict[str, object] = {"gateway_provider": provider_of(deployment), "on_demand_base_url": None}
    if not session.settings.on_demand_user_id.value:
        changes["on_demand_user_id"] = user_id
    session.update_profile(**changes)
    await asyncio.to_thread(save_inference_key, session.settings, deployment.api_key)
    session.set_model(ON_DEMAND, deployment.inference_name)
    session.set_surface(ON_DEMAND)
    await session.reload()
    url = session.settings.on_demand_base_url
    text = f"On-demand model: {sanitize(deployment.inference_name or '')} at {sanitize(url.value)}."
    if url.source in ("env", "flag"):
        text += f" Note: {url.label} overrides the provider's host."
    return text
