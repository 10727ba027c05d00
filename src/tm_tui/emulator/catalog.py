"""The emulator's fixed model catalogue, shared by its inference and control-plane halves.

Serverless model names here are what `/v1/models` lists and what serverless pricing's `model`
field names, so the two surfaces agree the way the real service does.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServerlessModel:
    name: str  # the inference `model` string
    display_name: str
    context_length: int
    reasoning: bool  # streams reasoning before content
    think_tags: bool  # reasoning leaks into content as <think>...</think> instead of delta.reasoning
    # USD per 1,000,000 tokens, as decimal strings (exact).
    input_price: str
    output_price: str
    cached_price: str | None
    active: bool = True


SERVERLESS_MODELS: tuple[ServerlessModel, ...] = (
    ServerlessModel("MiniMaxAI/MiniMax-M2.5", "MiniMax M2.5", 196_608, True, False, "0.30", "1.20", "0.03"),
    ServerlessModel(
        "Qwen/Qwen3-30B-A3B-Instruct-2507",
        "Qwen3 30B A3B Instruct",
        262_144,
        False,
        False,
        "0.10",
        "0.40",
        None,
    ),
    ServerlessModel(
        "deepseek-ai/DeepSeek-R1-0528", "DeepSeek R1", 163_840, True, True, "0.55", "2.19", "0.14"
    ),
    ServerlessModel("openai/gpt-oss-120b", "gpt-oss 120B", 131_072, True, False, "0.15", "0.60", "0.015"),
    ServerlessModel(
        "meta-llama/Llama-3.3-70B-Instruct", "Llama 3.3 70B", 8_192, False, False, "0.20", "0.60", "0.02"
    ),
    # Listed in pricing but switched off: not served by /v1/models.
    ServerlessModel(
        "mistralai/Mistral-7B-Instruct-v0.3",
        "Mistral 7B (retired)",
        32_768,
        False,
        False,
        "0.05",
        "0.10",
        None,
        active=False,
    ),
)

# Served names of the demo user's on-demand deployments that are up (the gateway serves these).
ON_DEMAND_MODELS: tuple[str, ...] = ("ada-llama-8b", "ada-qwen-coder")


def serverless_model(name: str) -> ServerlessModel | None:
    return next((m for m in SERVERLESS_MODELS if m.name == name and m.active), None)
