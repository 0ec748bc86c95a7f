"""What a model is shown: units of review built from the context, sanitized, delimited, budgeted.

A *unit* is one user message: the whole pull request for the ``intent`` agent (title,
description, file list with hunk headers), one changed file for every other agent (its hunks
with line numbers, the agent's deterministic findings on that file, callers traced by the code
index). Units are deterministic functions of their inputs, so their text hashes into the answer
cache key: after a push only the units whose file (blob, hunks) or findings changed are re-sent.

Every piece of untrusted text goes through :func:`shield_prose` / :func:`shield_code` (hidden
comments stripped, invisible and bidi characters stripped or shown as ``⟦U+XXXX⟧``, secrets
redacted) and sits between ``<<<UNTRUSTED:X>>>`` and
``<<<END:X>>>`` lines, X being a hash of the content: the data cannot forge its own end marker.
What does not fit the budget is cut at hunk (then line) boundaries, marked ``[… left out …]`` in
the text and reported as ``truncated`` (which the policy never approves).

Token counts here are estimates (:func:`approx_tokens`, 4 characters per token, the usual
figure for English and code with OpenAI tokenizers); the provider's ``usage`` is what gets
accounted.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.core.context import ReviewContext
from bot.core.diff import ChangeKind, FileChange, LineKind
from bot.core.models import Finding
from bot.core.sanitize import char_kind, find_invisible, redact_secrets, strip_hidden

CHARS_PER_TOKEN = 4
PR_LEVEL_AGENTS: frozenset[str] = frozenset({"intent"})
"""Agents that review the pull request as a whole (one unit) rather than file by file."""

ADDITIONS_ONLY_AGENTS: frozenset[str] = frozenset({"safety", "anti_patterns"})
"""Agents with nothing to review in a deleted file."""

GENERATED_NAMES: frozenset[str] = frozenset(
    {
        "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "Pipfile.lock", "uv.lock",
        "Cargo.lock", "go.sum", "composer.lock", "Gemfile.lock", "npm-shrinkwrap.json", "bun.lockb",
    }
)
"""Lock files: machine-written, never auto-approved by the policy anyway, not worth tokens."""

MAX_BODY_CHARS = 6000
MAX_FINDINGS_SHOWN = 25
MAX_TRACE_LINES = 30


def approx_tokens(text: str) -> int:
    """Estimated token count of ``text``: ``len // 4 + 1``."""
    return len(text) // CHARS_PER_TOKEN + 1


@dataclass
class Shielded:
    """Untrusted text made safe to send: ``text`` plus what was neutralized on the way.

    ``hidden``: removed comments; ``invisible``: invisible or bidi characters removed (prose) or
    made visible (code); ``redactions``: secrets replaced.
    """

    text: str
    hidden: int = 0
    invisible: int = 0
    redactions: int = 0


def shield_prose(text: str) -> Shielded:
    """Sanitize Markdown prose (titles, descriptions): strip hidden comments and invisible
    characters, redact secrets."""
    clean = strip_hidden(text)
    redacted, count = redact_secrets(clean.text)
    return Shielded(redacted, len(clean.hidden_comments), len(clean.invisible_chars), count)


def shield_code(text: str) -> Shielded:
    """Sanitize code: invisible and bidi characters become visible ``⟦U+XXXX⟧`` markers (the
    model must see Trojan-Source tricks, not have them silently removed); secrets are redacted."""
    invisible = find_invisible(text)
    if invisible:
        out = []
        last = 0
        for codepoint, index in invisible:
            out.append(text[last:index])
            out.append(f"⟦U+{codepoint:04X}⟧" if char_kind(codepoint) else "")
            last = index + 1
        out.append(text[last:])
        text = "".join(out)
    redacted, count = redact_secrets(text)
    return Shielded(redacted, 0, len(invisible), count)


def fence(text: str) -> str:
    """Wrap untrusted ``text`` between marker lines named by a hash of the text itself.

    Marker look-alikes inside the text are defused (``<<<`` becomes ``<<‹``) so that even a
    model matching markers loosely cannot be tricked into an early end of the data.
    """
    safe = text.replace("<<<UNTRUSTED", "<<‹UNTRUSTED").replace("<<<END", "<<‹END")
    nonce = hashlib.sha256(safe.encode("utf-8", "replace")).hexdigest()[:12]
    return f"<<<UNTRUSTED:{nonce}>>>\n{safe}\n<<<END:{nonce}>>>"


@dataclass
class Unit:
    """One user message for one agent. ``id`` is ``pr`` or ``file:<path>``."""

    id: str
    path: str | None
    text: str
    truncated: bool = False
    omitted: list[str] = field(default_factory=list)
    redactions: int = 0
    hidden: int = 0
    invisible: int = 0

    def absorb(self, shielded: Shielded) -> str:
        """Count what ``shielded`` found into this unit; return its text."""
        self.redactions += shielded.redactions
        self.hidden += shielded.hidden
        self.invisible += shielded.invisible
        return shielded.text


@dataclass
class Skipped:
    """A changed file no unit was built for, and why (binary, lock file, no hunks, ...)."""

    path: str
    reason: str


def _header(agent: str, unit_id: str, prompt_version: str) -> str:
    return (
        f"QUORUM-UNIT agent={agent} unit={unit_id} prompt={prompt_version}\n"
        "Review the data below for your aspect and answer with the JSON object only.\n"
    )


def _finding_lines(findings: Sequence[Finding]) -> list[str]:
    out = []
    for f in findings[:MAX_FINDINGS_SHOWN]:
        where = f"{f.path}:{f.line}" if f.path and f.line else (f.path or "(pull request)")
        out.append(f"- [{f.severity.value}] {f.rule_id} at {where}: {f.message}")
        out.extend(f"    ↳ {step}" for step in f.evidence[:4])
    if len(findings) > MAX_FINDINGS_SHOWN:
        out.append(f"[… left out: {len(findings) - MAX_FINDINGS_SHOWN} more findings …]")
    return out


def _kind_label(change: FileChange) -> str:
    bits = [change.kind.value]
    if change.old_path:
        bits.append(f"from {change.old_path}")
    if change.mode_changed:
        bits.append(f"mode {change.old_mode} -> {change.new_mode}")
    bits.append(change.language or "unknown language")
    bits.append(f"+{change.additions} -{change.deletions}")
    return ", ".join(bits)


def skip_reason(agent: str, change: FileChange) -> str | None:
    """Why ``agent`` gets no unit for ``change`` (None: it gets one)."""
    if change.is_binary:
        return "binary"
    if change.is_submodule:
        return "submodule"
    if not change.hunks:
        return "no textual change"
    if posixpath.basename(change.path) in GENERATED_NAMES:
        return "lock file"
    if change.kind is ChangeKind.deleted and agent in ADDITIONS_ONLY_AGENTS:
        return "deleted"
    return None


def _hunk_blocks(change: FileChange) -> list[list[str]]:
    blocks = []
    for h in change.hunks:
        lines = [h.header()]
        for ln in h.lines:
            num = ln.old_lineno if ln.kind is LineKind.removed else ln.new_lineno
            lines.append(f"{ln.kind.value} {num if num is not None else '':>5} | {ln.text}")
        blocks.append(lines)
    return blocks


def _fit_blocks(blocks: list[list[str]], budget_chars: int) -> tuple[list[str], tuple[int, int] | None]:
    """Whole blocks while they fit, then as many lines of the next as fit.

    Returns the kept lines and, when something was cut, ``(lines_left_out, blocks_touched)``.
    """
    out: list[str] = []
    used = 0
    for i, block in enumerate(blocks):
        size = sum(len(x) + 1 for x in block)
        if used + size <= budget_chars:
            out.extend(block)
            used += size
            continue
        kept = 0
        for line in block:
            if used + len(line) + 1 > budget_chars:
                break
            out.append(line)
            used += len(line) + 1
            kept += 1
        rest_lines = len(block) - kept + sum(len(b) for b in blocks[i + 1 :])
        return out, (rest_lines, len(blocks) - i)
    return out, None


def build_file_unit(
    agent: str,
    prompt_version: str,
    ctx: ReviewContext,
    change: FileChange,
    findings: Sequence[Finding],
    traced: Sequence[str],
    budget_tokens: int,
) -> Unit:
    """The unit reviewing one file's change, within ``budget_tokens`` (estimated).

    Always kept: the title, the file header and the analyzer findings. Hunks fill the budget next
    (cut at hunk, then line boundaries); traced context gets what is left. Anything cut is listed
    in ``omitted`` and marks the unit ``truncated``.
    """
    unit_id = f"file:{change.path}"
    unit = Unit(id=unit_id, path=change.path, text="")
    title = unit.absorb(shield_prose(ctx.pr.title))
    hunks_text = unit.absorb(shield_code("\n".join("\n".join(b) for b in _hunk_blocks(change))))
    finding_text = unit.absorb(shield_code("\n".join(_finding_lines(findings)))) if findings else ""
    trace_text = unit.absorb(shield_code("\n".join(traced[:MAX_TRACE_LINES]))) if traced else ""

    head = [
        _header(agent, unit_id, prompt_version),
        "## Pull request title",
        fence(title),
        f"## Change to {change.path} ({_kind_label(change)})",
    ]
    tail = ["## Analyzer findings for this file", fence(finding_text) if finding_text else "(none)"]
    room = budget_tokens * CHARS_PER_TOKEN - sum(len(x) + 1 for x in head + tail) - 100
    lines, left = _fit_blocks(_split_hunks(hunks_text.split("\n")), max(0, room))
    if left is not None:
        unit.omitted.append(f"{left[0]} diff lines in {left[1]} hunk(s) of {change.path}")
        lines.append(f"[… left out: {left[0]} diff lines in {left[1]} hunk(s) (prompt budget) …]")
    body = fence("\n".join(lines))
    parts = [*head, body, *tail]
    room -= len(body) + 1
    if trace_text:
        trace_lines, trace_left = _fit_blocks([[x] for x in trace_text.split("\n")], max(0, room - 120))
        if trace_left is not None:
            unit.omitted.append(f"{trace_left[0]} traced-context lines of {change.path}")
            trace_lines.append(f"[… left out: {trace_left[0]} lines of traced context (prompt budget) …]")
        parts += ["## Traced context (static code index)", fence("\n".join(trace_lines))]
    unit.truncated = bool(unit.omitted)
    unit.text = "\n".join(parts) + "\n"
    return unit


def _split_hunks(lines: list[str]) -> list[list[str]]:
    """Group listing lines into blocks, one per ``@@`` header."""
    blocks: list[list[str]] = []
    for line in lines:
        if line.startswith("@@ ") or not blocks:
            blocks.append([line])
        else:
            blocks[-1].append(line)
    return blocks


def build_pr_unit(
    agent: str,
    prompt_version: str,
    ctx: ReviewContext,
    findings: Sequence[Finding],
    budget_tokens: int,
) -> Unit:
    """The unit reviewing the pull request as a whole (``intent``): title, description (first
    :data:`MAX_BODY_CHARS` characters), every changed file with its hunk headers, and the agent's
    analyzer findings; cut to ``budget_tokens`` (estimated) with the cut reported."""
    unit = Unit(id="pr", path=None, text="")
    title = unit.absorb(shield_prose(ctx.pr.title))
    body = unit.absorb(shield_prose(ctx.pr.body))
    if len(body) > MAX_BODY_CHARS:
        unit.omitted.append(f"{len(body) - MAX_BODY_CHARS} characters of the description")
        body = body[:MAX_BODY_CHARS] + "\n[… left out: the rest of the description (prompt budget) …]"
    blocks = []
    for change in ctx.diff.files:
        block = f"{change.path} ({_kind_label(change)})\n" + "\n".join(f"    {h.header()}" for h in change.hunks)
        blocks.append(unit.absorb(shield_code(block.rstrip("\n"))).split("\n"))
    finding_text = unit.absorb(shield_code("\n".join(_finding_lines(findings)))) if findings else ""
    fixed = [
        _header(agent, "pr", prompt_version),
        "## Pull request title",
        fence(title),
        "## Pull request description",
        fence(body) if body.strip() else "(empty)",
        "## Analyzer findings",
        fence(finding_text) if finding_text else "(none)",
        f"## Files changed ({len(ctx.diff.files)}; +{ctx.diff.additions} -{ctx.diff.deletions})",
    ]
    room = budget_tokens * CHARS_PER_TOKEN - sum(len(x) + 1 for x in fixed) - 100
    lines, left = _fit_blocks(blocks, max(0, room))
    if left is not None:
        unit.omitted.append(f"{left[0]} lines of the file list ({left[1]} files)")
        lines.append(f"[… left out: {left[0]} lines of the file list (prompt budget) …]")
    if ctx.diff.truncated:
        reasons = "; ".join(ctx.diff.truncation_reasons) or "diff caps"
        unit.omitted.append(f"files beyond the diff caps ({reasons})")
        lines.append(f"[… left out: {reasons} …]")
    unit.truncated = bool(unit.omitted)
    unit.text = "\n".join([*fixed, fence("\n".join(lines))]) + "\n"
    return unit


def build_units(
    agent: str,
    prompt_version: str,
    ctx: ReviewContext,
    findings: Sequence[Finding],
    budget_tokens: int,
    traced: Callable[[FileChange], list[str]] | None = None,
) -> tuple[list[Unit], list[Skipped]]:
    """All units of ``agent`` for this review, in diff order, and the files it skips.

    ``findings`` are the agent's deterministic findings (split per file for file units);
    ``traced(change)`` returns traced-context lines for a file (None: no traced context).
    """
    if agent in PR_LEVEL_AGENTS:
        return [build_pr_unit(agent, prompt_version, ctx, findings, budget_tokens)], []
    units: list[Unit] = []
    skipped: list[Skipped] = []
    for change in ctx.diff.files:
        reason = skip_reason(agent, change)
        if reason:
            skipped.append(Skipped(change.path, reason))
            continue
        mine = [f for f in findings if f.path == change.path]
        lines = traced(change) if traced is not None else []
        units.append(build_file_unit(agent, prompt_version, ctx, change, mine, lines, budget_tokens))
    return units, skipped
