"""The inference surface: serverless or on-demand. Standard library only, so every layer (the
command line, config, the API clients, screens) can share this one type."""

from __future__ import annotations

from enum import StrEnum


class Surface(StrEnum):
    SERVERLESS = "serverless"
    ON_DEMAND = "on_demand"

    @property
    def label(self) -> str:
        """How people write it: "serverless", "on-demand"."""
        return self.value.replace("_", "-")

    @classmethod
    def parse(cls, raw: object) -> Surface:
        """`serverless`, `on-demand`, `on_demand` or `ondemand`, any case, trimmed. Raises
        `ValueError` with an "expected ..." message (config reports it as a problem)."""
        if isinstance(raw, Surface):
            return raw
        if not isinstance(raw, str):
            raise ValueError("expected serverless or on-demand")
        value = raw.strip().lower().replace("-", "_")
        try:
            return cls("on_demand" if value == "ondemand" else value)
        except ValueError:
            raise ValueError("expected serverless or on-demand") from None
