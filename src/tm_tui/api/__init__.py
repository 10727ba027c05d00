"""Headless Tensormesh API layer: httpx + pydantic, never Textual (enforced by a test).

Import from the submodules (`tm_tui.api.inference`, `.control_plane`, `.login`, `.errors`,
`.streaming`, `.models.*`). This package module stays empty so that importing a light piece such as
`tm_tui.api.errors` before the first frame does not pull in httpx and pydantic.
"""
