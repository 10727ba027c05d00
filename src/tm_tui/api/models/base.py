"""Base classes for wire models: lenient with unknown fields, exact with numbers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """Inference (OpenAI-style snake_case) payloads. Unknown keys are kept in `model_extra`."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class CamelModel(BaseModel):
    """Control-plane (proto3-JSON lowerCamelCase) payloads; Python attributes are snake_case."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, alias_generator=to_camel)


class Usage(WireModel):
    prompt_tokens: int = 0
    completion_tokens: int | None = None
    total_tokens: int = 0
    prompt_tokens_details: dict | None = None

    @property
    def cached_tokens(self) -> int:
        details = self.prompt_tokens_details or {}
        value = details.get("cached_tokens")
        return value if isinstance(value, int) else 0

    @property
    def reasoning_tokens(self) -> int | None:
        extra = self.model_extra or {}
        direct = extra.get("reasoning_tokens")
        if isinstance(direct, int):
            return direct
        details = extra.get("completion_tokens_details")
        if isinstance(details, dict) and isinstance(details.get("reasoning_tokens"), int):
            return details["reasoning_tokens"]
        return None
