"""History facts of one pull request: the feature values of :mod:`bot.history.features`, where
each history value came from, and per-file and per-function detail, read from the base commit's
ancestry only (:class:`bot.history.gitlog.LocalHistory`).

Function spans come from a tree-sitter parse of the base version of each changed code file (the
named nodes of :data:`bot.core.catalog.FUNCTION_NODES`); the lines of a changed function are blamed
once (``git blame -L``) and the blamed commits are looked up in the file's own log to know their
time, author and whether they were fixes.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from bot.core.catalog import FUNCTION_NODES
from bot.core.diff import ChangeKind, Diff
from bot.core.languages import language_for_path
from bot.history.features import (
    DAY,
    HORIZON_DAYS,
    FEATURES,
    WINDOWS,
    FunctionSpan,
    changed_base_lines,
    diff_features,
    is_history_file,
    max_with_where,
    window_counts,
)
from bot.history.gitlog import CommitFact, LocalHistory, author_matches

MAX_FILES = 50
"""History is read for at most this many changed files (the largest); more files are already a
large diff that the size gates hold."""
MAX_PARSE_BYTES = 2 * 1024 * 1024
"""Base files larger than this are not parsed for function spans."""
CACHE_KINDS = ("time", "file", "functions", "blame")
"""The kinds of :class:`bot.history.cache.HistoryCache` rows one PR's facts read (``time``, ``file``
and ``blame`` by :class:`~bot.history.gitlog.LocalHistory`, ``functions`` here); read together
first (:meth:`~bot.history.cache.HistoryCache.prefetch`)."""


@dataclass
class HistoryFacts:
    """The facts of one PR: ``features`` (name -> value, every name of :data:`FEATURES`),
    ``where`` (feature -> the file or function that gave it), ``files`` and ``functions``
    (per-item detail for explanations), ``base_sha``, ``base_time`` (Unix s) and ``elapsed_ms``."""

    base_sha: str
    base_time: int
    features: dict[str, float]
    where: dict[str, str] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    functions: list[dict[str, Any]] = field(default_factory=list)
    elapsed_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {"base_sha": self.base_sha, "base_time": self.base_time, "features": self.features,
                "where": self.where, "files": self.files, "functions": self.functions, "elapsed_ms": self.elapsed_ms}


def function_spans(path: str, source: bytes) -> list[FunctionSpan]:
    """Named functions and methods of ``source`` (``Class.method`` inside a class), 1-based lines.
    Empty for languages without a grammar or files over :data:`MAX_PARSE_BYTES`."""
    from bot.core import treesitter  # noqa: PLC0415 - parsers load on first use

    lang = language_for_path(path)
    if lang is None or not treesitter.supported(lang) or len(source) > MAX_PARSE_BYTES:
        return []
    kinds = FUNCTION_NODES.get(lang, frozenset())
    tree = treesitter.parse(lang, source)
    out: list[FunctionSpan] = []
    stack: list[tuple[Any, str]] = [(tree.root_node, "")]
    while stack:
        node, prefix = stack.pop()
        name_node = node.child_by_field_name("name") if node.is_named else None
        name = treesitter.node_text(name_node) if name_node is not None else ""
        child_prefix = prefix
        if node.type in kinds and name:
            qual = f"{prefix}{name}"
            out.append(FunctionSpan(qual, node.start_point[0] + 1, node.end_point[0] + 1))
            child_prefix = qual + "."
        elif name and ("class" in node.type or node.type in ("impl_item", "type_declaration")):
            child_prefix = f"{prefix}{name}."
        for child in node.children:
            stack.append((child, child_prefix))
    return out


def _innermost(spans: list[FunctionSpan], line: int) -> FunctionSpan | None:
    best = None
    for s in spans:
        if s.start <= line <= s.end and (best is None or s.end - s.start < best.end - best.start):
            best = s
    return best


def compute_facts(diff: Diff, author: str, base: str, history: LocalHistory) -> HistoryFacts:
    """The history facts of a PR whose diff is ``diff`` against base commit ``base`` by ``author``
    (a git author name or e-mail, or a GitHub login). Raises SourceError when git fails."""
    t0 = time.perf_counter()
    history.cache.prefetch(base, CACHE_KINDS)
    base_ts = history.base_time(base)
    feats: dict[str, float] = dict.fromkeys(FEATURES, 0.0)
    feats.update(diff_features(diff))
    where: dict[str, str] = {}
    changed = [f for f in diff.files if f.kind is not ChangeKind.added and is_history_file(f.old_path or f.path)]
    changed.sort(key=lambda f: f.additions + f.deletions, reverse=True)
    changed = changed[:MAX_FILES]
    paths = [f.old_path or f.path for f in changed]
    hist = history.files(base, paths) if paths else {}
    file_rows: list[dict[str, Any]] = []
    per_window: dict[str, list[tuple[float, str]]] = {f"{k}_{w}": [] for k in ("c", "a", "x") for w, _ in WINDOWS}
    ages: list[tuple[float, str]] = []
    locs: list[tuple[float, str]] = []
    author_commits = 0
    for p in paths:
        fh = hist[p]
        if not fh.exists:
            continue
        counts = window_counts(fh.commits, base_ts)
        for w, (n, a, x) in counts.items():
            per_window[f"c_{w}"].append((n, p))
            per_window[f"a_{w}"].append((a, p))
            per_window[f"x_{w}"].append((x, p))
        age = HORIZON_DAYS if fh.added_ts is None else min(HORIZON_DAYS, (base_ts - fh.added_ts) // DAY)
        ages.append((-float(age), p))
        locs.append((float(fh.loc), p))
        mine = sum(author_matches(c, author) for c in fh.commits)
        author_commits += mine
        file_rows.append({"path": p, "loc": fh.loc, "age_days": int(age), "author_commits_24m": mine,
                          **{f"{k}_{w}": v for w, t in counts.items() for k, v in zip(("commits", "authors", "fixes"), t)}})
    for w, _ in WINDOWS:
        for key, name in (("c", "file_commits"), ("a", "file_authors"), ("x", "file_fixes")):
            v, src = max_with_where(per_window[f"{key}_{w}"])
            feats[f"{name}_{w}"] = v
            if src:
                where[f"{name}_{w}"] = src
    if ages:
        v, src = max_with_where(ages)
        feats["file_age_days"], where["file_age_days"] = -v, src
    else:
        feats["file_age_days"] = 0.0
    v, src = max_with_where(locs)
    feats["file_loc"] = v
    if src:
        where["file_loc"] = src
    feats["author_file_commits_24m"] = float(author_commits)
    functions = _function_facts(diff, changed, base, base_ts, history, hist)
    feats["functions_changed"] = float(len(functions))
    for w, _ in WINDOWS:
        for key, name in (("commits", "func_commits"), ("authors", "func_authors"), ("fixes", "func_fixes")):
            v, src = max_with_where([(float(fn[f"{key}_{w}"]), fn["label"]) for fn in functions])
            feats[f"{name}_{w}"] = v
            if src:
                where[f"{name}_{w}"] = src
    return HistoryFacts(base, base_ts, feats, where, file_rows, functions,
                        round((time.perf_counter() - t0) * 1000, 2))


def _function_facts(diff: Diff, changed: list[Any], base: str, base_ts: int, history: LocalHistory,
                    hist: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for fc in changed:
        path = fc.old_path or fc.path
        fh = hist.get(path)
        if fh is None or not fh.exists or fc.is_binary or language_for_path(path) is None:
            continue
        lines = changed_base_lines(fc)
        if not lines:
            continue
        key = path + "\0" + hashlib.sha256(repr(lines).encode()).hexdigest()[:16]
        hit = history.cache.get("functions", base, key)
        if hit is not None:
            out.extend(hit)
            continue
        rows = _functions_of(path, lines, base, base_ts, history, fh)
        history.cache.put("functions", base, key, rows)
        out.extend(rows)
    return out


def _functions_of(path: str, lines: list[int], base: str, base_ts: int, history: LocalHistory,
                  fh: Any) -> list[dict[str, Any]]:
    """Rows of the named functions of ``path`` at ``base`` that contain ``lines``."""
    out: list[dict[str, Any]] = []
    source = history.read_base(base, path)
    if source is None:
        return out
    spans = function_spans(path, source)
    touched: dict[str, FunctionSpan] = {}
    for ln in lines:
        s = _innermost(spans, ln)
        if s is not None:
            touched[s.qualname] = s
    if not touched:
        return out
    blamed = history.blame(base, path, [(s.start, s.end) for s in touched.values()])
    by_sha: dict[str, CommitFact] = {c.sha: c for c in fh.commits}
    for s in touched.values():
        shas = {blamed[n] for n in range(s.start, s.end + 1) if n in blamed}
        facts = [by_sha[x] for x in shas if x in by_sha]
        counts = window_counts(facts, base_ts)
        out.append({"path": path, "function": s.qualname, "label": f"{s.qualname}() in {path}",
                    "start": s.start, "end": s.end,
                    **{f"{k}_{w}": v for w, t in counts.items() for k, v in zip(("commits", "authors", "fixes"), t)}})
    return out
