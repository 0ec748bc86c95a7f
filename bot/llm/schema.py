"""The only shape a model's answer may take, and its strict parser.

An answer is one JSON object validated against :class:`AgentAnswer` (``extra="forbid"``, enums for
status, severity and finding kind, bounded strings and lists). Anything else — free text such as
"APPROVE", a JSON array, unknown keys, out-of-range numbers — raises :class:`AnswerError`, whose
message is sent back to the model once for repair; a second failure makes the agent abstain.
Nothing here ever looks for a verdict inside free text.
"""

from __future__ import annotations

import json
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.core.models import Severity, Status


class FindingKind(StrEnum):
    """What an LLM finding is about; it names the rule id ``<agent>/llm-<kind>``."""

    bug = "bug"
    security = "security"
    prompt_injection = "prompt_injection"
    intent_mismatch = "intent_mismatch"
    undisclosed_change = "undisclosed_change"
    error_handling = "error_handling"
    concurrency = "concurrency"
    api_break = "api_break"
    untested_path = "untested_path"
    performance = "performance"
    maintainability = "maintainability"
    other = "other"


class AnswerFinding(BaseModel):
    """One finding as the model reports it. ``line`` / ``end_line`` are head-revision lines."""

    model_config = ConfigDict(extra="forbid")

    kind: FindingKind
    severity: Severity
    path: str | None = Field(default=None, max_length=500)
    line: int | None = Field(default=None, ge=1)
    end_line: int | None = Field(default=None, ge=1)
    message: str = Field(min_length=1, max_length=1000)
    evidence: list[str] = Field(default_factory=list, max_length=12)
    suggestion: str | None = Field(default=None, max_length=1000)


class AgentAnswer(BaseModel):
    """A model's review of one unit (a file's change, or the pull request as a whole).

    ``risk`` and ``confidence`` are in [0, 1]. ``injection_suspected`` is True when the data
    contained instructions aimed at the reviewer.
    """

    model_config = ConfigDict(extra="forbid")

    status: Status
    risk: float = Field(ge=0.0, le=1.0)
    confidence: float = Field(ge=0.0, le=1.0)
    findings: list[AnswerFinding] = Field(default_factory=list, max_length=20)
    summary: str = Field(default="", max_length=1200)
    injection_suspected: bool = False


class AnswerError(ValueError):
    """The model's answer is not a valid :class:`AgentAnswer`; ``str()`` says why (for repair)."""


def answer_schema() -> str:
    """A compact rendering of :class:`AgentAnswer`'s JSON Schema for the system prompt.

    Generated from the pydantic model (never written by hand), e.g.
    ``"status": "pass" | "concern" | "block" | "abstain"`` and ``"risk": number in [0, 1]``.
    """
    schema = AgentAnswer.model_json_schema()
    return _shape(schema, schema.get("$defs", {}), 0)


def _shape(node: dict, defs: dict, depth: int) -> str:
    if "$ref" in node:
        return _shape(defs[node["$ref"].rsplit("/", 1)[-1]], defs, depth)
    if "enum" in node:
        return " | ".join(json.dumps(v) for v in node["enum"])
    if "anyOf" in node:
        return " | ".join(_shape(n, defs, depth) for n in node["anyOf"])
    kind = node.get("type")
    if kind == "object":
        pad = "  " * (depth + 1)
        required = set(node.get("required", []))
        fields = []
        for name, sub in node.get("properties", {}).items():
            optional = "" if name in required else " (optional)"
            fields.append(f"{pad}{json.dumps(name)}: {_shape(sub, defs, depth + 1)}{optional}")
        return "{\n" + ",\n".join(fields) + "\n" + "  " * depth + "}"
    if kind == "array":
        limit = f" (at most {node['maxItems']})" if "maxItems" in node else ""
        return f"[{_shape(node.get('items', {}), defs, depth)}, ...]{limit}"
    bounds = []
    if "minimum" in node and "maximum" in node:
        bounds.append(f"in [{node['minimum']:g}, {node['maximum']:g}]")
    elif "minimum" in node:
        bounds.append(f">= {node['minimum']:g}")
    if node.get("minLength"):
        bounds.append(f"of {node['minLength']}..{node.get('maxLength', '')} chars")
    elif "maxLength" in node:
        bounds.append(f"of at most {node['maxLength']} chars")
    return " ".join([str(kind or "any"), *bounds])


def _unfence(text: str) -> str:
    """The body of a single Markdown code fence wrapping the whole text, else the text."""
    if text.startswith("```") and text.endswith("```") and text.count("```") == 2:
        body = text[3:-3]
        first, _, rest = body.partition("\n")
        return rest if first.strip().lower() in ("", "json") else body
    return text


def parse_answer(text: str | None) -> AgentAnswer:
    """Parse and validate a model's final answer.

    Accepts exactly one JSON object, optionally wrapped in one ```` ```json ```` fence. Raises
    :class:`AnswerError` for empty text, invalid JSON, a non-object, or schema violations (the
    message lists at most eight problems, each ``location: message``).
    """
    body = _unfence((text or "").strip()).strip()
    if not body:
        raise AnswerError("the answer was empty; expected one JSON object")
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise AnswerError(f"the answer is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not isinstance(data, dict):
        raise AnswerError(f"the answer must be a JSON object, not a JSON {type(data).__name__}")
    try:
        return AgentAnswer.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:8]:
            where = ".".join(str(p) for p in err["loc"]) or "(root)"
            problems.append(f"{where}: {err['msg']}")
        more = f" (+{exc.error_count() - 8} more)" if exc.error_count() > 8 else ""
        raise AnswerError("the answer does not match the schema: " + "; ".join(problems) + more) from None
