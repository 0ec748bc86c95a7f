"""The safety sub-agent: secrets, dangerous calls, sensitive paths, hidden Unicode and prompt
injection aimed at the reviewer.

Deterministic and offline: it looks at the *added* lines of the diff, the PR title and body, and
(for Python and the other tree-sitter languages) parses the head revision of a changed file to tell
code from comments and strings. It never imports, builds or runs anything from the repository.

Rule ids (stable, never reused):

- ``safety/secret`` (critical; info for a JSON Web Token in test code, see
  :data:`TEST_FIXTURE_SECRET_TYPES`): a credential in an added line. Messages and evidence show the
  line with the secret replaced by ``[REDACTED:<type>]``, never the secret itself.
- ``safety/private-key`` (critical): a PEM/PuTTY private-key header followed by key material.
- ``safety/dangerous-call/<cause>`` (major; info in test code): ``eval``, ``shell-command``,
  ``shell-true``, ``deserialize``, ``yaml-load``, ``tls-verify-off``, ``sql-string``, ``raw-html``
  (one registered rule per cause, see ``rules/RULES.md``; the id ``safety/dangerous-call`` itself
  is retired). Each cause is dangerous when untrusted input reaches the call; in test code
  (:func:`bot.core.paths.is_test_path`) the input is the test's own data and the code never ships,
  so such findings are listed in the check run's summary, not posted (on the findings corpus, all 3
  ``pickle.loads`` findings in tests were false).
- ``safety/sensitive-path`` (major): a changed path in a category of :mod:`bot.core.sensitive`.
- ``safety/symlink`` (major), ``safety/submodule-change`` (major), ``safety/mode-change`` (minor).
- ``safety/prompt-injection`` (major; the policy routes it to a human, never to approval): text aimed at an AI reviewer (see
  :func:`bot.core.injection.find_injection`) in the title, the body (also inside hidden HTML
  comments, encoded text, tag characters) or added lines; and invisible characters in the PR title
  or body (a way to smuggle text past a human reader), with the code points as evidence.
- ``safety/hidden-unicode`` (major; critical for bidi controls in code, Trojan Source
  CVE-2021-42574): hidden characters by Unicode property (default-ignorable, format, variation
  selectors, tags, blanks; see :mod:`bot.core.unicode_text`) in added lines or the PR text, not
  those doing their ordinary job (see :func:`bot.core.unicode_text.legitimate_hidden`); and words
  mixing Latin letters with look-alike letters of another script (UTS #39 confusables).
- ``safety/binary-added`` (minor): a binary file added or changed.

Caps: a file whose added text exceeds :data:`MAX_FILE_BYTES`, or added lines beyond
:data:`MAX_ADDED_LINES` in total, are skipped; the verdict is then ``truncated`` with confidence
0.7 (0.9 otherwise). A truncated diff, a deadline reached, an injection scan that reports text it
could not read (encoding nested too deep), or a Python file too large to parse for dangerous
calls also mark the verdict truncated. Every scanner otherwise reads whole lines and whole texts.
At most :data:`MAX_PER_FILE_RULE` findings per (file, rule) are listed (never dropping a more
severe one); the rest are counted in ``notes``.

The dangerous-call patterns and the comment/string test live in :mod:`subagents.safety_calls`.
"""

from __future__ import annotations

import bisect
import posixpath
import re
from dataclasses import dataclass, field

from bot.core.agent_options import SafetyOptions
from bot.core.context import ReviewContext
from bot.core.diff import ChangeKind, DiffLine, FileChange
from bot.core.injection import DATA_LIKE_PATTERNS, ENCODED_PATTERN_ID, scan_injection
from bot.core.languages import family
from bot.core.models import Finding, PullRequestInfo, Severity
from bot.core.paths import is_test_path
from bot.core.sanitize import (
    char_kind,
    find_invisible,
    legitimate_invisible,
    redact_secrets,
    remove_invisible,
    secret_scan_line,
    strip_hidden,
)
from bot.core.sensitive import classify_path
from bot.core.unicode_text import lookalike_words
from subagents.base import Analysis, SubAgent
from subagents.safety_calls import FileView, dangerous_calls

AGENT = "safety"
MAX_FILE_BYTES = 1_000_000
"""Added text of one file above this many bytes (UTF-8) is skipped (verdict truncated)."""
MAX_ADDED_LINES = 20_000
"""Added lines beyond this many (all files together) are skipped (verdict truncated)."""
MAX_PER_FILE_RULE = 10
"""At most this many findings per (file, rule); the rest are counted in the notes."""
EXCERPT_CHARS = 200
CONFIDENCE = 0.9
CONFIDENCE_TRUNCATED = 0.7

CODE_FAMILIES = frozenset({"python", "javascript", "typescript", "go", "java", "rust", "ruby"})
_CODE_EXTS = frozenset({
    ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".kt", ".kts", ".scala", ".swift", ".m", ".php", ".pl",
    ".sh", ".bash", ".zsh", ".ps1", ".lua", ".r", ".dart", ".ex", ".exs", ".erl", ".hs", ".clj", ".groovy",
    ".vue", ".svelte", ".sql",
})


TEST_FIXTURE_SECRET_TYPES = frozenset({"jwt", "json_web_token"})
"""Secret types that are test fixtures when found in test code (:func:`bot.core.paths.is_test_path`):
a JSON Web Token is a signed statement, not a key. It grants access only to a server holding the
key it was signed with, and a test's token is signed with the test's own key (echo's JWT tests sign
theirs with ``"secret"``; the jwt.io sample token is the most common). Such findings are ``info``:
listed in the check run's summary and seen by the policy, never posted inline. Provider
credentials (AWS, GitHub, Stripe, private keys...) stay critical in test code: a live key leaks
wherever it is committed."""

_INVISIBLE_ENCODINGS = ("tag-character", "bidi-reversed")
"""Encodings (see :func:`bot.core.injection.find_injection`) whose decoded-text hits can only be
found in the raw PR text, before invisible characters are stripped."""


def _truncate(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _safe_excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Redact secrets, drop invisible characters, collapse whitespace, truncate."""
    return _truncate(remove_invisible(redact_secrets(text)[0]), limit)


def _is_code(f: FileChange) -> bool:
    return family(f.language) in CODE_FAMILIES or posixpath.splitext(f.path)[1].lower() in _CODE_EXTS


# --------------------------------------------------------------------------------------------
# Collecting findings
# --------------------------------------------------------------------------------------------


@dataclass
class _Collector:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    truncated: bool = False
    _ids: set[str] = field(default_factory=set)
    _per_file: dict[tuple[str, str], int] = field(default_factory=dict)
    _worst: dict[tuple[str, str], int] = field(default_factory=dict)
    _overflow: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, finding: Finding) -> None:
        """Keep ``finding`` unless its id is known or its (file, rule) is full; a finding more
        severe than every kept one of its (file, rule) is always kept (the status must not drop)."""
        if finding.id in self._ids:
            return
        key = (finding.path or "", finding.rule_id)
        rank = finding.severity.rank
        full = finding.path is not None and self._per_file.get(key, 0) >= MAX_PER_FILE_RULE
        if full and rank <= self._worst.get(key, -1):
            self._overflow[key] = self._overflow.get(key, 0) + 1
            return
        self._per_file[key] = self._per_file.get(key, 0) + 1
        self._worst[key] = max(rank, self._worst.get(key, -1))
        self._ids.add(finding.id)
        self.findings.append(finding)

    def cut(self, note: str) -> None:
        self.truncated = True
        self.notes.append(note)

    def finish(self) -> None:
        for (path, rule), n in sorted(self._overflow.items()):
            self.notes.append(f"{rule}: {n} more in {path} not listed")


def _finding(rule: str, severity: Severity, message: str, *, path: str | None = None, line: int | None = None,
             evidence: list[str] | None = None, suggestion: str | None = None, anchor: str | None = None) -> Finding:
    return Finding.make(rule_id=rule, agent=AGENT, severity=severity, message=message, path=path, line=line,
                        evidence=evidence, suggestion=suggestion, anchor=anchor)


# --------------------------------------------------------------------------------------------
# The agent
# --------------------------------------------------------------------------------------------


_PEM_HEADER = re.compile(r"-{5}BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-{5}(.*)$")
_B64_RUN = re.compile(r"[A-Za-z0-9+/=]{20,}")


def _key_material_follows(lines: list[DiffLine], i: int) -> bool:
    """The private-key header on added line ``i`` is followed by key material (same line or next)."""
    m = _PEM_HEADER.search(lines[i].text)
    if m is None:  # PuTTY key files carry the key on later lines; the header is enough
        return True
    if _B64_RUN.search(m.group(1).replace("\\n", " ")):
        return True
    for nxt in lines[i + 1 : i + 4]:
        if _B64_RUN.search(nxt.text) or "Proc-Type:" in nxt.text:
            return True
    return False


class SafetyAgent(SubAgent):
    """Secrets, dangerous calls, sensitive paths, hidden Unicode and prompt injection (offline)."""

    name = AGENT

    def analyze(self, ctx: ReviewContext) -> Analysis:
        """Scan the PR text and every changed file; see the module docstring for rules and caps."""
        out = _Collector()
        # The policy's switched-on sensitive categories (None: all built-in ones).
        options = ctx.agent_options(self.name)
        categories = options.sensitive_categories if isinstance(options, SafetyOptions) else None
        if ctx.diff.truncated:
            out.cut("the diff itself was truncated: " + "; ".join(ctx.diff.truncation_reasons))
        self._pr_text(ctx.pr, out)
        budget = MAX_ADDED_LINES
        for f in ctx.diff.files:
            self._file_facts(f, out, categories)
            if f.is_binary or f.is_submodule or f.is_symlink or f.kind is ChangeKind.deleted:
                continue
            left = ctx.time_left()
            if left is not None and left <= 0:
                out.cut(f"time budget exhausted before {f.path}")
                break
            added = f.added_lines()
            if not added:
                continue
            size = sum(len(ln.text.encode("utf-8", "surrogatepass")) + 1 for ln in added)
            if size > MAX_FILE_BYTES:
                out.cut(f"skipped {f.path}: {size} bytes added (cap {MAX_FILE_BYTES})")
                continue
            if budget <= 0:
                out.cut(f"skipped {f.path}: more than {MAX_ADDED_LINES} added lines in total")
                continue
            if len(added) > budget:
                out.cut(f"scanned only {budget} of {len(added)} added lines of {f.path}")
                added = added[:budget]
            budget -= len(added)
            self._scan_file(FileView(change=f, added=added, ctx=ctx), out)
        out.finish()
        return Analysis(
            findings=out.findings,
            confidence=CONFIDENCE_TRUNCATED if out.truncated else CONFIDENCE,
            truncated=out.truncated,
            notes=out.notes,
        )

    # -- PR title and body ----------------------------------------------------------------

    def _pr_text(self, pr: PullRequestInfo, out: _Collector) -> None:
        for field_name, text in (("title", pr.title), ("body", pr.body)):
            if not text:
                continue
            clean = strip_hidden(text)
            hidden = [(cp, idx) for cp, idx in clean.invisible_chars if not legitimate_invisible(text, idx)]
            if hidden:
                self._hidden_pr_text(field_name, text, hidden, out)
            self._lookalikes(f"The PR {field_name}", text, out, anchor=field_name)
            sources = [("", clean.text)] + [(" (hidden HTML comment)", c) for c in clean.hidden_comments]
            if hidden:  # tag characters and right-to-left overrides are decoded only in the raw text
                sources.append((" (invisible characters)", text))
            for where, chunk in sources:
                scan = scan_injection(chunk)
                for reason in scan.truncated:
                    out.cut(f"PR {field_name}{where}: {reason}")
                for hit in scan.hits:
                    if where == " (invisible characters)" and not (
                        hit.pattern_id == ENCODED_PATTERN_ID and hit.excerpt.startswith(_INVISIBLE_ENCODINGS)
                    ):
                        continue
                    excerpt = _safe_excerpt(hit.excerpt)
                    out.add(_finding(
                        "safety/prompt-injection", Severity.major,
                        f"The PR {field_name}{where} contains text aimed at an AI reviewer ({hit.pattern_id})",
                        evidence=[f"PR {field_name}{where}: {excerpt}"],
                        suggestion="Remove instructions addressed to the reviewer; a human must review this PR.",
                        anchor=f"{field_name}{where}:{hit.pattern_id}:{excerpt}",
                    ))

    def _hidden_pr_text(self, field_name: str, text: str, hidden: list[tuple[int, int]], out: _Collector) -> None:
        """Invisible characters in the PR title or body: ``safety/hidden-unicode``, and, because
        text a reader cannot see is a way to smuggle instructions to a model, also
        ``safety/prompt-injection`` (major), which the policy routes to a human."""
        kinds = sorted({char_kind(cp) or "?" for cp, _ in hidden})
        points = [f"U+{cp:04X} ({char_kind(cp)}) at offset {idx}" for cp, idx in hidden[:10]]
        if len(hidden) > 10:
            points.append(f"... {len(hidden) - 10} more")
        out.add(_finding(
            "safety/hidden-unicode", Severity.major,
            f"The PR {field_name} contains {len(hidden)} invisible character(s) ({', '.join(kinds)})",
            evidence=points,
            suggestion="Remove invisible characters; a reader cannot see what a model reads.",
            anchor=f"{field_name}:{','.join(kinds)}",
        ))
        spelled = "".join(chr(cp - 0xE0000) for cp, _ in hidden if 0x20 <= cp - 0xE0000 < 0x7F)
        extra = [f"tag characters spell: {_safe_excerpt(spelled)!r}"] if len(spelled) >= 3 else []
        out.add(_finding(
            "safety/prompt-injection", Severity.major,
            f"The PR {field_name} hides {len(hidden)} invisible character(s) ({', '.join(kinds)}): "
            "text a reader cannot see can carry instructions to a model",
            evidence=[f"PR {field_name}: {p}" for p in points] + extra,
            suggestion="Remove the invisible characters; a human must review this PR.",
            anchor=f"{field_name}:hidden:{','.join(kinds)}",
        ))

    # -- per-file facts (paths, modes, kinds) -----------------------------------------------

    def _file_facts(self, f: FileChange, out: _Collector, categories: list[str] | None = None) -> None:
        paths = [f.path] + ([f.old_path] if f.old_path and f.old_path != f.path else [])
        for p in paths:
            cats = classify_path(p, categories)
            if cats:
                role = "" if p == f.path else f" (renamed from {p})"
                out.add(_finding(
                    "safety/sensitive-path", Severity.major,
                    f"{f.kind.value.capitalize()} a sensitive path{role}: {', '.join(cats)}",
                    path=f.path, evidence=[f"{p}: category {c}" for c in cats],
                    suggestion="Changes to these paths need a human reviewer.",
                    anchor=f"{p}:{','.join(cats)}",
                ))
        if f.is_symlink:
            target = " ".join(ln.text for ln in f.added_lines())[:EXCERPT_CHARS]
            escapes = target.startswith("/") or target.startswith("..") or "/../" in target
            out.add(_finding(
                "safety/symlink", Severity.major,
                "Symbolic link added or changed" + (" pointing outside the repository" if escapes else ""),
                path=f.path, evidence=[f"{f.path} -> {_safe_excerpt(target)}"] if target else [],
                suggestion="Symlinks can make tools read or write outside the repository; check the target.",
                anchor=f"symlink:{target}",
            ))
        if f.is_submodule:
            moves = [f"{'+' if ln.kind.value == '+' else '-'}{ln.text.strip()}" for h in f.hunks for ln in h.lines
                     if ln.kind.value in "+-"]
            out.add(_finding(
                "safety/submodule-change", Severity.major,
                f"Submodule {f.kind.value}: its code is not part of this diff",
                path=f.path, evidence=moves[:4],
                suggestion="Review the submodule's commits between the old and new revision.",
                anchor="submodule:" + " ".join(moves),
            ))
        executable = f.new_mode == "100755" and (f.mode_changed or (f.kind is ChangeKind.added and f.old_mode is None))
        if executable and not f.is_symlink and not f.is_submodule:
            how = f"mode {f.old_mode} -> {f.new_mode}" if f.mode_changed else f"added with mode {f.new_mode}"
            out.add(_finding(
                "safety/mode-change", Severity.minor, f"File made executable ({how})", path=f.path,
                evidence=[f"{f.path}: {how}"], anchor=f"mode:{f.old_mode}:{f.new_mode}",
            ))
        if f.is_binary and f.kind is not ChangeKind.deleted:
            out.add(_finding(
                "safety/binary-added", Severity.minor, f"Binary file {f.kind.value}: its content cannot be reviewed",
                path=f.path, evidence=[f"{f.path} ({f.kind.value}, blob {f.new_blob or '?'})"],
                anchor=f"binary:{f.new_blob}",
            ))

    # -- added lines -------------------------------------------------------------------------

    def _scan_file(self, view: FileView, out: _Collector) -> None:
        f = view.change
        code = _is_code(f)
        for i, line in enumerate(view.added):
            self._hidden_unicode(f, line, code, out)
            self._secrets(view, i, out)
        self._injection(view, code, out)
        self._dangerous(view, out)

    def _lookalikes(self, where: str, text: str, out: _Collector, *, anchor: str, path: str | None = None,
                    line: int | None = None) -> None:
        """Words mixing Latin letters with look-alike letters of another script (TR39 mixed-script
        confusables, :func:`bot.core.unicode_text.lookalike_words`): ``safety/hidden-unicode``."""
        words = lookalike_words(text)
        if not words:
            return
        evidence = [f"{_safe_excerpt(w, 60)!r} reads as {s!r} (" + ", ".join(
            f"U+{ord(c):04X}" for c in w if not c.isascii())[:80] + ")" for _, w, s in words[:10]]
        out.add(_finding(
            "safety/hidden-unicode", Severity.major,
            f"{where} mixes Latin letters with look-alike letters of another script in {len(words)} word(s)",
            path=path, line=line, evidence=evidence,
            suggestion="Use one script per word; look-alike letters make text read differently than it matches.",
            anchor=f"lookalike:{anchor}:{','.join(s for _, _, s in words[:10])}",
        ))

    def _hidden_unicode(self, f: FileChange, line: DiffLine, code: bool, out: _Collector) -> None:
        self._lookalikes("An added line", line.text, out, anchor=f.path, path=f.path, line=line.new_lineno)
        found = [(cp, idx) for cp, idx in find_invisible(line.text)
                 if not (cp == 0xFEFF and idx == 0 and line.new_lineno == 1)  # a BOM opening the file
                 and not (cp != 0xFEFF and legitimate_invisible(line.text, idx))]  # emoji ZWJ, RLM in Hebrew, ...
        if not found:
            return
        kinds = sorted({char_kind(cp) or "?" for cp, _ in found})
        trojan = code and "bidi" in kinds
        out.add(_finding(
            "safety/hidden-unicode", Severity.critical if trojan else Severity.major,
            ("Bidirectional control characters in code can make it read differently than it runs "
             "(Trojan Source, CVE-2021-42574)") if trojan
            else f"Invisible characters ({', '.join(kinds)}) in an added line",
            path=f.path, line=line.new_lineno,
            evidence=[f"U+{cp:04X} ({char_kind(cp)}) at column {idx + 1}" for cp, idx in found[:10]]
            + [f"visible text: {_safe_excerpt(line.text)}"],
            suggestion="Remove the invisible characters (or escape them explicitly, e.g. \\u202e).",
            anchor=f"hidden:{','.join(kinds)}:{_safe_excerpt(line.text)}",
        ))

    def _secrets(self, view: FileView, i: int, out: _Collector) -> None:
        line = view.added[i]
        hits = secret_scan_line(line.text)
        if not hits:
            return
        redacted = _truncate(redact_secrets(line.text)[0])
        f = view.change
        for hit in hits:
            if hit.type == "private_key":
                if not _key_material_follows(view.added, i):
                    continue
                out.add(_finding(
                    "safety/private-key", Severity.critical, "Private key material added",
                    path=f.path, line=line.new_lineno, evidence=[f"{f.path}:{line.new_lineno}: {redacted}"],
                    suggestion="Remove the key, rotate it, and load keys from a secret store at run time.",
                    anchor=f"private_key:{redacted}",
                ))
            else:
                fixture = hit.type in TEST_FIXTURE_SECRET_TYPES and is_test_path(f.path)
                out.add(_finding(
                    "safety/secret", Severity.info if fixture else Severity.critical,
                    f"Possible secret added ({hit.type}): {redacted}"
                    + (" (a signed token in test code: a test fixture; listed, not posted)" if fixture else ""),
                    path=f.path, line=line.new_lineno, evidence=[f"{f.path}:{line.new_lineno}: {redacted}"],
                    suggestion="Remove the secret, rotate it, and read it from the environment or a secret store.",
                    anchor=f"{hit.type}:{redacted}",
                ))

    def _injection(self, view: FileView, code: bool, out: _Collector) -> None:
        f = view.change
        # All added lines of the file in one text (the scan reads all of it, however long a line
        # is, so an instruction spanning lines or at the end of a huge line is seen).
        for lines in [view.added]:
            text = "\n".join(ln.text for ln in lines)
            starts: list[int] = []
            pos = 0
            for ln in lines:
                starts.append(pos)
                pos += len(ln.text) + 1
            scan = scan_injection(text)
            for reason in scan.truncated:
                out.cut(f"{f.path}: {reason}")
            for hit in scan.hits:
                idx = bisect.bisect_right(starts, hit.offset) - 1
                line = lines[idx]
                col = hit.offset - starts[idx]
                if code:
                    region = view.region(line, col)
                elif text.rfind("<!--", 0, hit.offset) > text.rfind("-->", 0, hit.offset):
                    region = "html-comment"
                else:
                    region = "text"
                if hit.pattern_id in DATA_LIKE_PATTERNS and region not in ("comment", "html-comment"):
                    continue  # verdict JSON / role tags as visible data: fixtures, docs, pom.xml <system>
                where = {"comment": "a comment", "string": "a string literal", None: "code",
                         "html-comment": "a hidden HTML comment"}.get(region, "text")
                excerpt = _safe_excerpt(hit.excerpt)
                out.add(_finding(
                    "safety/prompt-injection", Severity.major,
                    f"Added text aimed at an AI reviewer ({hit.pattern_id}) in {where}",
                    path=f.path, line=line.new_lineno,
                    evidence=[f"{f.path}:{line.new_lineno} ({where}): {excerpt}"],
                    suggestion="Remove instructions addressed to the reviewer; a human must review this PR.",
                    anchor=f"injection:{hit.pattern_id}:{excerpt}",
                ))

    def _dangerous(self, view: FileView, out: _Collector) -> None:
        f = view.change
        by_row = {ln.new_lineno - 1: ln for ln in view.added if ln.new_lineno is not None}
        seen: set[tuple[int, str]] = set()
        calls = dangerous_calls(view)
        if view.unparsed and family(f.language) == "python":
            out.cut(f"dangerous calls in {f.path} not checked: {view.unparsed}")
        for row, pat in calls:
            if (row, pat.rule_id) in seen:
                continue
            seen.add((row, pat.rule_id))
            snippet = _safe_excerpt(by_row[row].text if row in by_row else "", 120)
            in_test = is_test_path(f.path)
            out.add(_finding(
                pat.rule_id, Severity.info if in_test else Severity.major,
                f"{pat.message}: `{snippet}`" + (" (in test code: listed, not posted)" if in_test else ""),
                path=f.path, line=row + 1, evidence=[f"{f.path}:{row + 1} {pat.kind}: {snippet}"],
                suggestion=pat.suggestion, anchor=f"{pat.kind}:{pat.message}:{snippet}",
            ))


__all__ = ["AGENT", "MAX_ADDED_LINES", "MAX_FILE_BYTES", "SafetyAgent"]
