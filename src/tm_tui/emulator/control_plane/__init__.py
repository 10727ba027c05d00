"""The emulator's control plane: every route of reference §4 and the CLI login endpoints of §7.3.

Replies follow grpc-gateway's proto3-JSON conventions: lowerCamelCase keys, every wrapper key present
(lists as `[]`), Money objects, uint64 counters as strings, `{"empty": {}}` acknowledgements, and
errors as `{"code", "message", "details": []}` with the matching HTTP status. Mutations change what
later reads return, and API keys created or revoked here start or stop working for inference.

Modules: `store` (the mutable world and the bearer check), `call` (one request and its input checks),
`errors`, `times`, one module of routes per area (`users`, `billing`, `support`, `observability`,
`deployments`, `admin`, `cli_login`), and `app`, which wires them together.
"""

from tm_tui.emulator.control_plane.app import build_control_plane_app
from tm_tui.emulator.control_plane.store import ControlPlaneStore

__all__ = ["ControlPlaneStore", "build_control_plane_app"]
