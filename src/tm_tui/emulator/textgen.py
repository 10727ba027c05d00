"""Deterministic "model output": Markdown answers, reasoning and tool calls seeded by (model, prompt).

Nothing here is random across runs: the same model, prompt and seed give the same text, so tests and
snapshots are stable while answers still vary in shape (headings, lists, tables, fenced code, quotes)
and length from one prompt to the next.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tm_tui.emulator.tokenizer import Tokenizer, message_text

THINK_OPEN, THINK_CLOSE = "<think>\n", "\n</think>\n\n"

_STOPWORD_TEXT = (
    "about above after again also because been before being between both could does doing during "
    "each from further have having here into just more most other over same should some such than "
    "that their them then there these they this those through under until very were what when where "
    "which while with would your yours please tell explain give show write make answer sentence "
    "using want need"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_GENERIC_TOOL_WORDS = frozenset(
    {"get", "set", "list", "find", "fetch", "do", "run", "make", "the", "a", "by"}
)

_OPENERS = (
    "Here is a short overview of {topic}.",
    "Good question: {topic} comes up often.",
    "Let's look at {topic} step by step.",
    "In short, {topic} depends on a few things.",
    "{Topic} is easier to reason about once the moving parts are named.",
)
_SENTENCES = (
    "The key idea is that {kw} behaves predictably once its inputs are fixed.",
    "Most of the cost comes from {kw}, so measure it before optimising anything else.",
    "A common mistake is to treat {kw} and {kw2} as the same thing.",
    "In practice, {kw} works best with small, well-named pieces.",
    "If {kw} fails, check the configuration first and the network second.",
    "You can usually trade a little latency for a lot of throughput with {kw}.",
    "Keep {kw2} out of the hot path and the rest follows.",
    "The trade-off is simplicity against flexibility, and {kw} sits in the middle.",
)
_BULLETS = (
    "**{Kw}** keeps the common case fast",
    "Cache `{kw}` results where they repeat",
    "Prefer explicit settings over implicit defaults",
    "Log the request id next to every failure",
    "Measure twice, then change one thing at a time",
    "Document why {kw2} exists, not just what it does",
)
_CODE = (
    (
        "python",
        'def {ident}(items: list[str]) -> dict[str, int]:\n    """Count each {kw}."""\n'
        "    counts: dict[str, int] = {{}}\n    for item in items:\n"
        "        counts[item] = counts.get(item, 0) + 1\n    return counts\n",
    ),
    (
        "bash",
        "# inspect {kw}\ntm infer chat --model demo --stream \\\n  --prompt '{kw2}'\necho \"done: $?\"\n",
    ),
    ("json", '{{\n  "{ident}": true,\n  "items": ["{kw}", "{kw2}"],\n  "limit": {num}\n}}\n'),
)
_REASONING = (
    "The user is asking about {topic}.",
    "I should start with the main idea and then give a concrete example.",
    "A table would make the trade-offs between {kw} and {kw2} easier to compare.",
    "Let me keep the answer structured: a heading, a list, and maybe some code.",
    "They probably care about practical advice more than theory.",
    "I need to make sure the example for {kw} is correct.",
)


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, possibly cut short when the token budget runs out


@dataclass
class Generation:
    """One choice's output. With think tags the reasoning lives inside `content`."""

    content: str | None
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"
    stop_reason: str | None = None
    completion_tokens: int = 0
    reasoning_tokens: int = 0


# ---- seeding and prompt analysis ----


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")).digest()
    return random.Random(int.from_bytes(digest[:8]))


def _keywords(text: str) -> list[str]:
    seen: dict[str, str] = {}  # lower-case -> first spelling, in order of appearance
    for word in re.findall(r"[^\W\d_]{4,}", text):
        if word.lower() not in _STOPWORDS:
            seen.setdefault(word.lower(), word)
    return list(seen.values()) or ["the system", "its settings"]


def _quote(text: str) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= 80 else line[:77].rstrip() + "..."


class _Filler:
    """Fills templates with words from the prompt."""

    def __init__(self, rng: random.Random, prompt: str) -> None:
        self.rng = rng
        self.words = _keywords(prompt)
        self.topic = " ".join(self.words[:2])

    def fill(self, template: str) -> str:
        kw, kw2 = self.rng.choice(self.words), self.rng.choice(self.words)
        ident = re.sub(r"\W", "_", kw.lower()) or "value"
        return template.format(
            topic=self.topic,
            Topic=self.topic[:1].upper() + self.topic[1:],
            kw=kw,
            Kw=kw.capitalize(),
            kw2=kw2,
            ident=ident,
            num=self.rng.randint(2, 500),
        )

    def sentences(self, pool: Sequence[str], count: int) -> str:
        return " ".join(self.fill(s) for s in self.rng.sample(list(pool), count))


# ---- Markdown blocks ----


def _paragraph(f: _Filler) -> str:
    return f.sentences(_SENTENCES, f.rng.randint(2, 3))


def _bullets(f: _Filler) -> str:
    return "\n".join(f"- {f.fill(b)}" for b in f.rng.sample(_BULLETS, f.rng.randint(3, 5)))


def _steps(f: _Filler) -> str:
    picks = f.rng.sample(_SENTENCES, f.rng.randint(3, 4))
    return "\n".join(f"{i}. {f.fill(s)}" for i, s in enumerate(picks, 1))


def _table(f: _Filler) -> str:
    rows = ["| Option | Latency | Notes |", "|---|---:|---|"]
    for word in (f.words * 3)[: f.rng.randint(2, 4)]:
        rows.append(f"| `{word}` | {f.rng.randint(5, 900)} ms | {f.fill(f.rng.choice(_BULLETS))} |")
    return "\n".join(rows)


def _code(f: _Filler) -> str:
    lang, body = f.rng.choice(_CODE)
    return f"```{lang}\n{f.fill(body)}```"


def _heading(f: _Filler) -> str:
    return f"## {f.fill('{Kw} in practice')}"


def _markdown_answer(rng: random.Random, prompt: str) -> str:
    f = _Filler(rng, prompt)
    quote = _quote(prompt)
    # Short prompts (greetings) mostly get short replies.
    size = rng.random() * (0.5 if len(prompt.split()) < 4 else 1.0)
    if size < 0.25:  # a one-paragraph reply
        blocks = [f.fill(rng.choice(_OPENERS)) + " " + _paragraph(f)]
    else:
        blocks = [f.fill(rng.choice(_OPENERS))]
        extra = [_paragraph, _bullets, _table, _code, _steps]
        count = 3 if size < 0.7 else 6
        blocks += [_heading(f)] + [block(f) for block in rng.choices(extra, k=count)]
        blocks.append(_paragraph(f))
    if quote and rng.random() < 0.5:
        blocks.insert(1, f"> {quote}")
    return "\n\n".join(blocks)


def _reasoning_text(rng: random.Random, prompt: str) -> str:
    return _Filler(rng, prompt).sentences(_REASONING, rng.randint(2, 5))


def _completion_text(rng: random.Random, prompt: str) -> str:
    f = _Filler(rng, prompt)
    return " " + " ".join(_paragraph(f) for _ in range(rng.randint(1, 4)))


# ---- tool calls ----


def _tool_functions(tools: Sequence[Any] | None) -> list[Mapping[str, Any]]:
    out = []
    for tool in tools or ():
        fn = tool.get("function") if isinstance(tool, Mapping) else None
        if isinstance(fn, Mapping) and isinstance(fn.get("name"), str):
            out.append(fn)
    return out


def _mentioned(fn: Mapping[str, Any], prompt: str) -> bool:
    words = re.split(r"[_\W]+|(?<=[a-z])(?=[A-Z])", fn["name"])
    text = prompt.lower()
    return fn["name"].lower() in text or any(
        w.lower() in text for w in words if len(w) > 2 and w.lower() not in _GENERIC_TOOL_WORDS
    )


def _chosen_tools(
    tools: Sequence[Any] | None, tool_choice: Any, prompt: str, parallel: bool
) -> list[Mapping[str, Any]]:
    functions = _tool_functions(tools)
    if not functions or tool_choice == "none":
        return []
    if isinstance(tool_choice, Mapping):
        name = (tool_choice.get("function") or {}).get("name") or tool_choice.get("name")
        named = [fn for fn in functions if fn["name"] == name]
        return named[:1] or functions[:1]
    mentioned = [fn for fn in functions if _mentioned(fn, prompt)]
    if tool_choice == "required":
        mentioned = mentioned or functions[:1]
    return mentioned if parallel else mentioned[:1]


def _capitalised_word(prompt: str) -> str | None:
    # A capital at the start of a sentence says nothing, so skip those words.
    for match in re.finditer(r"\b[A-Z][a-z]{2,}\b", prompt):
        before = prompt[: match.start()].rstrip()
        if before and before[-1] not in ".!?":
            return match.group()
    return None


def _argument(rng: random.Random, name: str, schema: Mapping[str, Any], prompt: str) -> Any:
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    if kind == "integer":
        return rng.randint(1, 10)
    if kind == "number":
        return round(rng.uniform(0, 100), 2)
    if kind == "boolean":
        return True
    if kind == "array":
        return [_argument(rng, name, schema.get("items") or {"type": "string"}, prompt)]
    if kind == "object":
        return {}
    if any(k in name.lower() for k in ("city", "location", "place", "country")):
        return _capitalised_word(prompt) or "Paris"
    return " ".join(_keywords(prompt)[:3])


def _arguments(rng: random.Random, fn: Mapping[str, Any], prompt: str) -> str:
    params = fn.get("parameters")
    params = params if isinstance(params, Mapping) else {}
    props = params.get("properties")
    props = props if isinstance(props, Mapping) else {}
    required = [p for p in params.get("required") or [] if p in props] or list(props)
    args = {name: _argument(rng, name, props[name] or {}, prompt) for name in required}
    return json.dumps(args, ensure_ascii=False)


# ---- finishing: stop strings and the token budget ----


def _apply_stop(text: str, stop: Sequence[str]) -> tuple[str, str | None]:
    hits = [(text.find(s), s) for s in stop if s and s in text]
    if not hits:
        return text, None
    at, matched = min(hits)
    return text[:at], matched


class _Budget:
    """Spends `max_tokens` over the parts of a reply in order, cutting the part that overflows."""

    def __init__(self, tok: Tokenizer, max_tokens: int) -> None:
        self.tok = tok
        self.left = max_tokens
        self.exhausted = False

    def take(self, text: str) -> str:
        if self.exhausted:
            return ""
        n = self.tok.count(text)
        if n > self.left:
            text, self.exhausted = self.tok.truncate(text, self.left), True
            n = self.tok.count(text)
        self.left -= n
        return text


def _seed_rng(tok: Tokenizer, prompt: str, seed: Any, index: int) -> random.Random:
    return _rng(tok.model, prompt, seed, index)


def generate_chat(
    tok: Tokenizer,
    *,
    messages: Sequence[Mapping[str, Any]],
    reasoning: bool,
    think_tags: bool,
    max_tokens: int,
    stop: Sequence[str] = (),
    tools: Sequence[Any] | None = None,
    tool_choice: Any = None,
    parallel_tool_calls: bool = True,
    json_mode: bool = False,
    seed: Any = None,
    index: int = 0,
) -> Generation:
    """One chat choice. `max_tokens` bounds reasoning + content + tool-call tokens together."""
    prompt = "\n".join(message_text(m.get("content")) for m in messages if m.get("role") != "assistant")
    last = messages[-1] if messages else {}
    last_text = message_text(last.get("content"))
    rng = _seed_rng(tok, prompt, seed, index)
    budget = _Budget(tok, max_tokens)

    thought = _reasoning_text(rng, last_text) if reasoning else ""
    calls = (
        []
        if last.get("role") == "tool"
        else _chosen_tools(tools, tool_choice, last_text, parallel_tool_calls)
    )
    if last.get("role") == "tool":
        answer = f"The tool returned:\n\n> {_quote(last_text)}\n\n" + _paragraph(_Filler(rng, last_text))
    elif json_mode:
        answer = json.dumps({"answer": _paragraph(_Filler(rng, last_text)), "quote": _quote(last_text)})
    else:
        answer = _markdown_answer(rng, last_text)
    answer, stop_hit = _apply_stop(answer, stop)

    gen = Generation(content=None)
    if think_tags and reasoning:
        block = budget.take(THINK_OPEN + thought + THINK_CLOSE)
        gen.reasoning_tokens = tok.count(block)
        gen.content = block + (budget.take(answer) if not calls else "")
        gen.completion_tokens = tok.count(gen.content)
    else:
        gen.reasoning = budget.take(thought)
        gen.reasoning_tokens = tok.count(gen.reasoning)
        gen.content = None if calls else budget.take(answer)
        gen.completion_tokens = gen.reasoning_tokens + tok.count(gen.content or "")
    for i, fn in enumerate(calls):
        call_id = "call_" + hashlib.sha256(f"{tok.model}{prompt}{seed}{index}{i}".encode()).hexdigest()[:12]
        name = budget.take(fn["name"])
        arguments = budget.take(_arguments(rng, fn, last_text))
        if not name:
            break
        gen.tool_calls.append(ToolCall(call_id, name, arguments))
        gen.completion_tokens += tok.count(name) + tok.count(arguments)
    if budget.exhausted:
        gen.finish_reason = "length"
    elif gen.tool_calls:
        gen.finish_reason = "tool_calls"
    elif stop_hit is not None:
        gen.stop_reason = stop_hit
    return gen


def generate_completion(
    tok: Tokenizer,
    prompt: str,
    *,
    max_tokens: int,
    stop: Sequence[str] = (),
    seed: Any = None,
    index: int = 0,
) -> Generation:
    """A plain-text continuation of `prompt` for /v1/completions."""
    text, stop_hit = _apply_stop(_completion_text(_seed_rng(tok, prompt, seed, index), prompt), stop)
    budget = _Budget(tok, max_tokens)
    text = budget.take(text)
    gen = Generation(content=text, completion_tokens=tok.count(text), stop_reason=stop_hit)
    if budget.exhausted:
        gen.finish_reason = "length"
    return gen
