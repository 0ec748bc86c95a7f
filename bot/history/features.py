"""The features of one pull request that the risk model reads: the diff's own shape and the
history of the code it touches (Kamei et al., "A large-scale empirical study of just-in-time
quality assurance", TSE 2013: size, diffusion, history and experience; JITLine, Pornprasit and
Tantithamthavorn, MSR 2021). Every feature has a definition and a plain-words phrase in
:data:`FEATURES`, so a model file names features and a reason names facts.

History features aggregate over the changed files that are not tests or docs and existed at the
base (``file_*``) and over the named functions and methods whose base lines the diff touches
(``func_*``): the maximum, and ``where`` records which file or function gave it. Windows: 6, 12 and
24 months (183, 365, 730 days) before the base commit's committer time.
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.diff import ChangeKind, Diff, FileChange
from bot.core.languages import language_for_path
from bot.core.paths import is_doc_path, is_test_path

if TYPE_CHECKING:
    from bot.history.gitlog import CommitFact

DAY = 86_400
HORIZON_DAYS = 730
"""How far back history is read (24 months): the longest window of the facts."""

WINDOWS: tuple[tuple[str, int], ...] = (("6m", 183), ("12m", 365), ("24m", 730))
"""Window name -> days before the base commit."""
_MONTHS = {"6m": "6 months", "12m": "12 months", "24m": "24 months"}


@dataclass(frozen=True)
class FeatureDef:
    """One feature: ``name``, what it measures (``definition``), the scale the model reads it on
    (``transform``: ``log1p`` for counts, ``identity``) and a phrase with ``{value}`` and
    ``{where}`` naming the fact in plain words."""

    name: str
    definition: str
    transform: str
    phrase: str


def _defs() -> dict[str, FeatureDef]:
    d: dict[str, FeatureDef] = {}

    def add(name: str, definition: str, phrase: str, transform: str = "log1p") -> None:
        d[name] = FeatureDef(name, definition, transform, phrase)

    add("lines_added", "lines added by the diff", "the change adds {value} lines")
    add("lines_deleted", "lines deleted by the diff", "the change deletes {value} lines")
    add("files_changed", "files changed", "the change touches {value} files")
    add("dirs_changed", "distinct directories of the changed files", "the change spans {value} directories")
    add("subsystems_changed", "distinct top-level directories (under src/: the package) of the changed files",
        "the change spans {value} subsystems")
    add("entropy", "Shannon entropy of the changed lines over the files, normalised to 0..1 (Kamei et al.)",
        "the change is spread evenly over its files (entropy {value})", "identity")
    add("runtime_lines", "changed lines in code files that are not tests or docs", "{value} changed lines are runtime code")
    add("test_lines", "changed lines in test files", "{value} changed lines are tests")
    add("doc_lines", "changed lines in documentation files", "{value} changed lines are docs")
    add("tests_changed", "1 when a test file changed alongside, else 0", "tests changed alongside: {value}", "identity")
    add("new_files", "files the diff adds", "the change adds {value} new files")
    for w, _ in WINDOWS:
        m = _MONTHS[w]
        add(f"file_commits_{w}", f"most commits touching one changed file in the last {m}",
            f"{{where}} was changed by {{value}} commits in the last {m}")
        add(f"file_authors_{w}", f"most distinct authors of one changed file in the last {m}",
            f"{{value}} people changed {{where}} in the last {m}")
        add(f"file_fixes_{w}", f"most fix commits touching one changed file in the last {m} (SZZ's fix rules)",
            f"{{where}} needed {{value}} fix commits in the last {m}")
        add(f"func_commits_{w}", f"most commits behind the current lines of one changed function in the last {m} (blame)",
            f"{{where}} was changed by {{value}} commits in the last {m}")
        add(f"func_authors_{w}", f"most distinct authors of the current lines of one changed function in the last {m}",
            f"{{value}} people changed {{where}} in the last {m}")
        add(f"func_fixes_{w}", f"most fix commits behind the current lines of one changed function in the last {m}",
            f"{{where}} needed {{value}} fix commits in the last {m}")
    add("file_age_days", f"days since the youngest changed file was added (capped at {HORIZON_DAYS})",
        "{where} is {value} days old")
    add("file_loc", "lines of the largest changed file at the base", "{where} has {value} lines")
    add("functions_changed", "named functions and methods whose base lines the diff changes",
        "the change edits {value} existing functions")
    add("author_file_commits_24m", "the author's commits to the changed files in the last 24 months",
        "the author made {value} commits to the changed files in the last 24 months")
    for tag, meaning in FINDING_TAGS.items():
        add(finding_feature(tag), f"Quorum's findings (any severity) whose rule carries the registry tag "
            f"'{tag}' ({meaning})", f"Quorum reported {{value}} finding(s) about {meaning}")
    return d


FINDING_TAGS: dict[str, str] = {
    "reach": "how far the change reaches through callers",
    "call-site": "call sites the change leaves inconsistent",
    "control-flow": "guards, conditions and boundaries",
    "error-handling": "how errors are raised, returned or swallowed",
    "return-value": "what a function returns",
    "constant": "changed constants or defaults",
    "tests": "missing or removed tests",
    "description": "the title and description",
    "scope": "what the change touches against what it claims",
    "dangerous-call": "calls that run code or turn off a safety check",
    "sensitive-path": "paths that need a human",
    "style": "code style",
    "typing": "type-system escape hatches",
    "concurrency": "threads, async and locks",
    "resource": "files, connections and other resources",
    "lint": "external linter reports",
}
"""Registry tags (``bot.core.registry.TAGS``) whose finding counts are risk features (issue 12:
"Quorum's findings and reach, counted by registry tag"). Tags that only the safety scanners use
for hard blocks (secrets, injection) are left out: those findings hold approval on their own."""


def finding_feature(tag: str) -> str:
    """The feature name counting findings with registry tag ``tag``: ``findings_<tag>`` with ``-`` as ``_``."""
    return "findings_" + tag.replace("-", "_")


def finding_features(tags_per_finding: Iterable[Iterable[str]]) -> dict[str, float]:
    """``findings_<tag>`` -> how many findings carry that tag, for every tag of
    :data:`FINDING_TAGS` (0 when none); ``tags_per_finding`` holds each finding's registry tags
    (``bot.core.registry.Registry.tags_of``)."""
    counts = dict.fromkeys((finding_feature(t) for t in FINDING_TAGS), 0.0)
    for tags in tags_per_finding:
        for tag in set(tags):
            if tag in FINDING_TAGS:
                counts[finding_feature(tag)] += 1.0
    return counts


FEATURES: dict[str, FeatureDef] = _defs()
"""Every feature a risk model may use, by name."""


@dataclass
class FunctionSpan:
    """A named function or method at the base: ``qualname`` (``Class.method``), lines ``start``..``end``."""

    qualname: str
    start: int
    end: int


def subsystem(path: str) -> str:
    """The top-level directory of ``path`` (``src/<pkg>`` counts as one level); ``""`` at the root."""
    parts = path.split("/")
    if len(parts) <= 1:
        return ""
    if parts[0] in ("src", "lib", "packages") and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0]


def is_history_file(path: str) -> bool:
    """Files whose history counts: not tests, not docs."""
    return not (is_test_path(path) or is_doc_path(path))


def diff_features(diff: Diff) -> dict[str, float]:
    """The diff's own features (sizes, diffusion, entropy, runtime/test/doc lines, tests changed)."""
    files = [f for f in diff.files]
    sizes = [f.additions + f.deletions for f in files]
    total = sum(sizes)
    entropy = 0.0
    if total > 0 and len(files) > 1:
        ent = -sum((s / total) * math.log2(s / total) for s in sizes if s > 0)
        entropy = ent / math.log2(len(files))
    test = sum(s for f, s in zip(files, sizes) if is_test_path(f.path))
    doc = sum(s for f, s in zip(files, sizes) if not is_test_path(f.path) and is_doc_path(f.path))
    runtime = sum(s for f, s in zip(files, sizes)
                  if language_for_path(f.path) and not is_test_path(f.path) and not is_doc_path(f.path))
    return {
        "lines_added": float(diff.additions),
        "lines_deleted": float(diff.deletions),
        "files_changed": float(len(files)),
        "dirs_changed": float(len({posixpath.dirname(f.path) for f in files})),
        "subsystems_changed": float(len({subsystem(f.path) for f in files})),
        "entropy": round(entropy, 4),
        "runtime_lines": float(runtime),
        "test_lines": float(test),
        "doc_lines": float(doc),
        "tests_changed": 1.0 if test else 0.0,
        "new_files": float(sum(f.kind is ChangeKind.added for f in files)),
    }


def changed_base_lines(fc: FileChange) -> list[int]:
    """Base-side lines the diff touches in ``fc``: removed lines, and for a pure insertion the
    line it follows."""
    out: set[int] = set()
    for h in fc.hunks:
        removed = [ln.old_lineno for ln in h.removed() if ln.old_lineno]
        if removed:
            out.update(removed)
        elif h.source_start > 0:
            out.add(h.source_start)
    return sorted(out)


def window_counts(commits: Iterable[CommitFact], base_ts: int) -> dict[str, tuple[int, int, int]]:
    """Window name -> (commits, distinct authors, fix commits) among ``commits`` of that window."""
    commits = list(commits)
    out: dict[str, tuple[int, int, int]] = {}
    for w, days in WINDOWS:
        inside = [c for c in commits if base_ts - c.ts <= days * DAY]
        out[w] = (len(inside), len({c.email or c.name for c in inside}), sum(c.fix for c in inside))
    return out


def max_with_where(items: list[tuple[float, str]], default: float = 0.0) -> tuple[float, str]:
    """The largest value and its label (first on ties); ``(default, "")`` when empty."""
    if not items:
        return default, ""
    return max(items, key=lambda t: t[0])
