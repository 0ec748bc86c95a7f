"""Labelled eval scenarios: the case schema and its loader (pydantic, ``extra="forbid"``).

A scenario is a small pull request written out in full: the files of the base commit, the files
the head commit changes (``null`` deletes a file), the title, body and author, and what a careful
human reviewer expects Quorum to say about it:

- ``expect.findings``: findings that must appear, each ``{agent, rule, path, lines}``. ``rule`` is
  an exact rule id (``safety/secret``, ``QPY003``) or a prefix (``safety/``, ``QPY``); ``"*"`` is
  any rule; a list means any of its entries. ``lines`` is an inclusive head-revision range ``[start, end]`` (a single
  number means one line); omitted, any line (or none: file- and PR-level findings).
- ``expect.absent``: findings that must not appear (negative cases).
- ``expect.allow``: findings that are acceptable but not required (neither hit nor false alarm).
- ``expect.decision``: the acceptable policy action(s); the first is the primary label used as
  the row of the confusion matrix when the actual action is not acceptable.

Files on disk are YAML: one mapping (one case) or a list of mappings (a small group). Loading is
parsing only (``yaml.safe_load``); nothing in a scenario is executed.

Fake credentials are written as placeholders, ``{{fake:NAME}}`` (see :data:`FAKE_SECRETS`), and
expanded when the case is loaded, so the suite's files do not trip secret scanners. Long hostile
input is written as ``{{pad:N}}`` (N ``x`` characters) and ``{{b64pad:N:TEXT}}`` (a base64 run
of about N characters whose decoded text ends with TEXT), so the files stay small. Line numbers
in labels refer to the expanded text (``private_key_pem`` spans several lines).
"""

from __future__ import annotations

import base64
import posixpath
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.core.errors import QuorumError
from bot.core.models import AGENT_NAMES, Action

LANGUAGES = ("python", "javascript", "typescript", "go", "mixed", "none")
"""Values of ``Case.language`` (``mixed``: several languages; ``none``: no code files)."""

FOCUS = (*AGENT_NAMES, "policy")
"""Values of ``Case.agent``: the sub-agent a case is mainly about, or ``policy`` for the gates."""

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_FAKE_RE = re.compile(r"\{\{fake:([a-z0-9_]+)\}\}")
_PAD_RE = re.compile(r"\{\{pad:([0-9]{1,7})\}\}|\{\{b64pad:([0-9]{1,7}):([^{}\n]{1,500})\}\}")

_PEM = "-----" + "BEGIN RSA PRIVATE KEY" + "-----"
_PEM_END = "-----" + "END RSA PRIVATE KEY" + "-----"
FAKE_SECRETS: dict[str, str] = {
    # Assembled from pieces so that no scanner sees a whole credential in this file. None is real.
    "aws_access_key_id": "AKIA" + "Q4NSBIM3" + "ZD7RXW5T",
    "aws_secret_access_key": "k3Jd9+Xq2Lw" + "8ZpT5vN0bR4yH7cF1mG6sA/eU" + "oQiW",
    "github_token": "ghp_" + "R8mK2xQ7vLp4Tz9Wn3Yb" + "6Hc1Jd5Fg0Se2Uak",
    "stripe_live_key": "sk_" + "live_" + "51HqPz7Kd2Lm9Xr4Vt8Bw3Ny6Gc",
    "slack_token": "xox" + "b-2741936550-" + "1188273645219-Zq8WmX2pLr7TkV9sYc4Nd1Hb",
    "private_key_pem": "\n".join([
        _PEM,
        "MIIEowIBAAKCAQEAx3Hq9Vn2Lr8Tz5Wm1Yb6Hc4Jd0Fg7Se3Ua9Kp2Qx8Lm5Rt1Vz",
        "4Nw7By3Gc6Hd2Jf9Kl0Mn5Pq8Rs1Tu4Vw7Xy0Za3Bc6De9Fg2Hi5Jk8Lm1No4Pq7R",
        "s0Tu3Vw6Xy9Za2Bc5De8Fg1Hi4Jk7Lm0No3Pq6Rs9Tu2Vw5Xy8Za1Bc4De7Fg0HiQ",
        _PEM_END,
    ]),
}
"""Fake credentials for ``{{fake:NAME}}`` placeholders in scenario text and files."""


def expand_fakes(text: str) -> str:
    """``text`` with every ``{{fake:NAME}}`` replaced. Raises ValueError for an unknown NAME."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in FAKE_SECRETS:
            raise ValueError(f"unknown placeholder {{{{fake:{name}}}}} (valid: {', '.join(sorted(FAKE_SECRETS))})")
        return FAKE_SECRETS[name]

    return _PAD_RE.sub(_pad, _FAKE_RE.sub(sub, text))


def _pad(m: re.Match[str]) -> str:
    """Expand ``{{pad:N}}`` or ``{{b64pad:N:TEXT}}`` (see the module docstring)."""
    if m.group(1) is not None:
        return "x" * int(m.group(1))
    size, tail = int(m.group(2)), m.group(3).encode("utf-8")
    filler = (b"lorem ipsum dolor sit amet " * (size // 36 + 1))[: max(0, size * 3 // 4 - len(tail))]
    return base64.b64encode(filler + tail).decode("ascii")


class ScenarioError(QuorumError):
    """A scenario file that cannot be read or does not validate; the message names the file and case."""


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _as_tuple(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


def _as_range(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    return value


class FindingSpec(BaseModel):
    """One expected (or forbidden, or allowed) finding.

    ``agent``: an agent name or ``"*"`` (any agent). ``rule``: an exact id or prefix (``"*"``: any),
    or a list of them, any of which will do (``[logic/inverted-condition, logic/boundary-change]``).
    ``path``: head path, None for any path (PR-level findings have no path). ``lines``: inclusive
    head line range, None for any line. ``note``: why a human expects it (documentation only).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent: str
    rule: Annotated[tuple[str, ...], BeforeValidator(_as_tuple)] = ("*",)
    path: str | None = None
    lines: Annotated[tuple[int, int] | None, BeforeValidator(_as_range)] = None
    note: str | None = None

    @field_validator("agent")
    @classmethod
    def _known_agent(cls, value: str) -> str:
        if value != "*" and value not in AGENT_NAMES:
            raise ValueError(f"unknown agent {value!r} (valid: {', '.join(AGENT_NAMES)}, *)")
        return value

    @field_validator("rule")
    @classmethod
    def _rule_shape(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("rule must name at least one id or prefix")
        for rule in value:
            if not rule.strip() or rule != rule.strip():
                raise ValueError("each rule must be a non-empty id or prefix without surrounding spaces")
        return value

    @property
    def rule_label(self) -> str:
        """The rule(s) as one string: ``logic/inverted-condition|logic/boundary-change``."""
        return "|".join(self.rule)

    @field_validator("lines")
    @classmethod
    def _range(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not 1 <= value[0] <= value[1]:
            raise ValueError(f"lines must be [start, end] with 1 <= start <= end, got {list(value)}")
        return value

    def label(self) -> str:
        """Short text ``agent:rule@path:start-end`` for reports."""
        where = self.path or "*"
        if self.lines:
            where += f":{self.lines[0]}" + (f"-{self.lines[1]}" if self.lines[1] != self.lines[0] else "")
        return f"{self.agent}:{self.rule_label}@{where}"


class Expect(BaseModel):
    """What the reviewer expects; see the module docstring. ``decision`` is never empty."""

    model_config = ConfigDict(extra="forbid")

    findings: list[FindingSpec] = Field(default_factory=list)
    absent: list[FindingSpec] = Field(default_factory=list)
    allow: list[FindingSpec] = Field(default_factory=list)
    decision: Annotated[list[Action], BeforeValidator(_as_list)] = Field(min_length=1)


class Case(BaseModel):
    """One labelled pull request. ``suite`` is set by the loader from the directory it came from.

    ``clean``: a small, safe, honest change a reviewer would approve; it must expect no findings
    and ``approve``. Findings of severity >= minor on a clean case are counted as false alarms.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    suite: str = ""
    language: Literal["python", "javascript", "typescript", "go", "mixed", "none"]
    agent: Literal["intent", "safety", "logic", "anti_patterns", "execution_paths", "policy"]
    clean: bool = False
    title: str
    body: str = ""
    author: str | None = None
    base: dict[str, str | bytes] = Field(default_factory=dict)
    head: dict[str, str | bytes | None] = Field(min_length=1)
    expect: Expect
    tags: list[str] = Field(default_factory=list)
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID_RE.match(value):
            raise ValueError(f"id {value!r} must match {_ID_RE.pattern}")
        return value

    @field_validator("title", "body")
    @classmethod
    def _expand_text(cls, value: str) -> str:
        return expand_fakes(value)

    @field_validator("base", "head")
    @classmethod
    def _safe_paths(cls, files: dict[str, Any]) -> dict[str, Any]:
        for path, content in list(files.items()):
            if isinstance(content, str):
                files[path] = expand_fakes(content)
            norm = posixpath.normpath(path)
            if (
                not path or path.startswith("/") or "\\" in path or norm != path
                or norm.startswith("..") or norm.split("/")[0] == ".git"
            ):
                raise ValueError(f"file path {path!r} must be relative, normalized, and outside .git")
        return files

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        for spec in self.expect.findings + self.expect.allow + self.expect.absent:
            if spec.path is None:
                continue
            if spec.path not in self.head and spec.path not in self.base:
                raise ValueError(f"expected finding path {spec.path!r} is not a file of the case")
            content = self.head[spec.path] if spec.path in self.head else self.base[spec.path]
            if spec.lines and isinstance(content, str):
                count = len(content.splitlines())
                if spec.lines[0] > max(count, 1):
                    raise ValueError(f"{spec.label()}: line {spec.lines[0]} is past the end of {spec.path} ({count} lines)")
        if self.clean:
            if self.expect.findings:
                raise ValueError("a clean case expects no findings")
            if self.expect.decision != [Action.approve]:
                raise ValueError("a clean case expects decision approve")
        for path, content in self.head.items():
            if content is None and path not in self.base:
                raise ValueError(f"head deletes {path!r}, which is not in base")
        return self


def _documents(path: Path) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: cannot read: {' '.join(str(exc).split())[:300]}") from exc
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list) and all(isinstance(d, dict) for d in data):
        return data
    raise ScenarioError(f"{path}: expected a mapping (one case) or a list of mappings")


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{loc + ': ' if loc else ''}{err['msg']}{more}"


def load_cases(directory: Path, suite: str) -> list[Case]:
    """All cases in ``directory`` (``*.yml`` / ``*.yaml``, recursively, sorted by path), tagged
    with ``suite``. Raises ScenarioError for a missing directory, unreadable YAML, an invalid case
    (naming file and case id) or a duplicate id."""
    if not directory.is_dir():
        raise ScenarioError(f"no scenario directory at {directory}")
    cases: list[Case] = []
    seen: dict[str, Path] = {}
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    for path in files:
        for doc in _documents(path):
            ident = doc.get("id", "?")
            try:
                case = Case.model_validate({**doc, "suite": suite})
            except ValidationError as exc:
                raise ScenarioError(f"{path}: case {ident}: {_first_error(exc)}") from exc
            if case.id in seen:
                raise ScenarioError(f"{path}: duplicate case id {case.id!r} (also in {seen[case.id]})")
            seen[case.id] = path
            cases.append(case)
    return cases


__all__ = ["FAKE_SECRETS", "FOCUS", "LANGUAGES", "Case", "Expect", "FindingSpec", "ScenarioError", "expand_fakes", "load_cases"]
