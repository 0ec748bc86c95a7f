"""Every cap constant in the code, walked (issue 9: "no silent limits").

The cap constants are collected from the source by AST (module-level names such as ``MAX_*``,
``*_LIMIT``, ``*_CAP``, ``*_MAX_*`` in ``bot/`` and ``subagents/``), so a new cap fails
:func:`test_every_cap_constant_is_classified` until it is entered in :data:`CAPS` with the way it is
proven harmless:

- ``scan``: the cap limits what a review reads. The cap is lowered, a pull request that exceeds it is
  reviewed in process, and the decision must not be ``approve`` (the verdict or the diff is marked
  truncated). Pull requests that stay under the cap are approved (the control), so the proof can fail.
- ``display``: the cap limits only how many findings, reasons or items are listed. All of them are
  lowered to 1 at once; the decision and every verdict status must stay the same.
- ``reject``: input over the cap is refused with an error (no review, so no approval).
- ``off-path``: the cap bounds something that never feeds a decision to approve (what is posted to
  GitHub, what the advisory LLM is shown — it can only tighten a verdict —, offline evaluation,
  cache sizes); the reason says which.
- ``gap``: a cap on the review path whose excess does not yet withhold approval: an
  ``xfail(strict=True)`` test, so fixing it makes the test pass unexpectedly and fail until the
  entry is moved to ``scan`` (the list can only shrink).
"""

from __future__ import annotations

import ast
import base64
import importlib
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.gitlocal import LocalGitSource
from bot.core.models import Action
from bot.pipeline import PipelineOptions, SnapshotSource, run_review
from bot.testing.gitrepo import make_repo

ROOT = Path(__file__).resolve().parents[1]
CAP_NAME = re.compile(r"^_?(?:[A-Z0-9]+_)*(?:MAX|LIMIT|CAP)(?:_[A-Z0-9]+)*$")
NOT_CAPS = {
    "bot.adapters.github.retry:SECONDARY_LIMIT_WAIT_S",  # a wait time, not a limit on input
    # part of logic/removed-statement's definition (a deletion of one to three statements is a slip, a
    # larger one a removed feature); every change block is still read
    "subagents.checks.logic.dropped:MAX_STATEMENTS",
    # part of logic/dropped-copy's and logic/dropped-method-call's definition (a copy or call dropped from
    # one line of a small edit is a slip; a larger block is a rewrite); every change block is still read
    "subagents.checks.logic.swaps:MAX_BLOCK",
}


def collect_caps() -> set[str]:
    """``module:NAME`` of every module-level cap constant in bot/ and subagents/."""
    found: set[str] = set()
    for top in ("bot", "subagents"):
        for path in sorted((ROOT / top).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                    node, ast.AnnAssign) else []
                for t in targets:
                    if isinstance(t, ast.Name) and CAP_NAME.match(t.id):
                        found.add(f"{module}:{t.id}")
    return found - NOT_CAPS


# ----------------------------------------------------------------------------------- scan proofs


BASE = {"README.md": "# Demo\n\nA demo project.\n", "app.py": "def main():\n    return 0\n"}


@dataclass(frozen=True)
class Scan:
    """A ``scan`` proof: lower the cap to ``value``; ``over`` is a head file map exceeding it,
    ``under`` one that does not (the control, approved)."""

    value: int
    over: dict[str, str]
    under: dict[str, str]


def _readme(text: str) -> dict[str, str]:
    return {"README.md": "# Demo\n\nA demo project.\n\n" + text + "\n"}


_B64 = base64.b64encode(b"The quick brown fox jumps over the lazy dog, twice.").decode()

CAPS: dict[str, Any] = {
    # -- scan: the review reads less than it was given, so the verdict must be truncated
    "subagents.checks.safety._scope:MAX_FILE_BYTES": Scan(300, _readme("Some words. " * 40), _readme("Some words.")),
    "subagents.checks.safety._scope:MAX_ADDED_LINES": Scan(4, _readme("\n".join(f"Line {i}." for i in range(12))),
                                             _readme("One line.")),
    "subagents.checks.safety._fileview:MAX_PARSE_BYTES": Scan(  # "format" makes the safety agent parse the file
        70, {"app.py": '"""Demo: no output format."""\n\n\ndef main():\n    return 0\n' + "# pad\n" * 20},
        {"app.py": '"""Demo: no output format."""\n\n\ndef main():\n    return 0\n'}),
    "bot.core.injection:MAX_DECODE_DEPTH": Scan(0, _readme(f"Example payload: {_B64}"), _readme("Example payload.")),
    "bot.adapters.gitlocal:MAX_DIFF_BYTES": Scan(400, _readme("Some words. " * 60), _readme("Some words.")),
    "subagents.anti_patterns:MAX_FILE_BYTES": Scan(
        60, {"app.py": '"""Demo."""\n\n\ndef main():\n    return 0\n' + "# pad\n" * 20},
        {"app.py": '"""Demo."""\n\n\ndef main():\n    return 0\n'}),
    "subagents.checks.intent._text:MAX_TEXT": Scan(40, {"body": "Adds a usage section to the readme. " * 4},
                                           {"body": "Adds usage."}),
    # -- gap: on the review path, excess does not withhold approval yet (see the module docstring)
    # the parse-once view's cap (every agent's trees): a file over it is left unparsed, and the safety
    # agent then marks its verdict truncated (its dangerous-call check needs the tree)
    "bot.core.changeset:MAX_PARSE_BYTES": Scan(
        60, {"app.py": '"""Demo: no output format."""\n\n\ndef main():\n    return 0\n' + "# pad\n" * 20},
        {"app.py": '"""Demo."""\n\n\ndef main():\n    return 0\n'}),
    "subagents.checks.logic._scan:MAX_TEST_BLOCK_LINES": ("off-path", "bounds how much of an edited test function is read to decide "
                                             "whether it exercises the change; reading less can only report more "
                                             "untested changes (fail closed), never fewer"),
    "subagents.checks.logic._scan:MAX_STALE_TEST_BYTES": ("gap", None, "stale-test check skips large test files silently "
                                             "(a heuristic, not a scanner; needs a test module to exercise)"),
    "subagents.checks.intent._facts:MAX_MENTION_LINES": ("gap", None, "intent reads at most 5,000 diff lines for mentions"),
    "bot.codeindex.builder:MAX_FILE_BYTES": ("gap", None, "files over 1 MB are left out of the code index "
                                             "(execution_paths then sees fewer callers)"),
    "bot.adapters.github.client:MAX_PR_FILES": ("gap", None, "App path: GitHub lists at most 3,000 files; "
                                                "the source marks the diff incomplete (needs the fake GitHub)"),
    "bot.adapters.github.client:MAX_PR_COMMITS": ("off-path", "commit list for the decision record, not reviewed"),
    "bot.adapters.github.source:COMPARE_FILE_CAP": ("off-path", "switches to the paginated file list; files are "
                                                    "not dropped"),
    "bot.adapters.github.source:MAX_TREE_CALLS": ("gap", None, "App path: tree listing marks itself truncated; "
                                                  "needs the fake GitHub to prove end to end"),
    # -- display: how many items are listed, never what is read
    "subagents.safety:MAX_PER_FILE_RULE": "display",
    "subagents.checks.anti_patterns.catalog:MAX_PER_RULE_PER_FILE": "display",
    "subagents.checks.anti_patterns.catalog:_MAX_LISTED": "display",
    "subagents.checks.execution_paths.call_paths:MAX_CALLS_LISTED": "display",
    "subagents.checks.execution_paths.call_paths:MAX_REACH_FINDINGS": "display",
    "subagents.checks.execution_paths.call_paths:MAX_STALE_PER_SYMBOL": "display",
    "subagents.checks.intent.unrelated_files:MAX_UNRELATED": "display",
    "bot.policy.predicates.base:MAX_DETAIL_ITEMS": "display",
    "bot.policy.predicates.base:MAX_MESSAGE_ITEMS": "display",
    # -- reject: over the cap, the input is refused
    "bot.core.webhook:MAX_PAYLOAD_BYTES": ("off-path", "webhook body size: a body over it is never "
                                           "reviewed (the receiver's bound belongs to the webhook work of issue 9)"),
    "bot.policy.loader:MAX_POLICY_BYTES": "reject",
    "bot.core.commands:MAX_REASON_CHARS": ("off-path", "a /quorum human reason is cut for display; "
                                           "the command still asks for a human"),
    # -- off-path
    "bot.adapters.github.sink:MAX_ANNOTATIONS_PER_REQUEST": ("off-path", "GitHub API batch size for posting"),
    "bot.adapters.github.sink:MAX_ANNOTATIONS": ("off-path", "what is posted to the check run"),
    "bot.adapters.github.sink:MAX_SUMMARY_CHARS": ("off-path", "check-run summary length (GitHub limit)"),
    "bot.adapters.github.sink:MAX_COMMENT_CHARS": ("off-path", "comment length (GitHub limit)"),
    "bot.adapters.github.sink:MAX_INLINE_COMMENTS": ("off-path", "how many inline comments are posted"),
    "bot.llm.payload:MAX_BODY_CHARS": ("off-path", "what the advisory LLM is shown; it can only tighten"),
    "bot.llm.payload:MAX_FINDINGS_SHOWN": ("off-path", "what the advisory LLM is shown; it can only tighten"),
    "bot.llm.payload:MAX_TRACE_LINES": ("off-path", "what the advisory LLM is shown; it can only tighten"),
    "bot.llm.tools:MAX_READ_LINES": ("off-path", "what the advisory LLM may read; it can only tighten"),
    "bot.llm.tools:MAX_RESULTS": ("off-path", "what the advisory LLM may read; it can only tighten"),
    "bot.evals.replay:MAX_FINDINGS_PER_RECORD": ("off-path", "offline replay report"),
    "bot.evals.baselines:SMALL_MAX_LINES": ("off-path", "a naive baseline measured in evals"),
    "bot.evals.baselines:SMALL_MAX_FILES": ("off-path", "a naive baseline measured in evals"),
    "bot.evals.reinjected:DEFAULT_LIMIT": ("off-path", "how many bugs an eval re-injects"),
    "bot.evals.reinjected:MAX_LINES": ("off-path", "eval input selection"),
    "bot.evals.reinjected:MAX_FILES": ("off-path", "eval input selection"),
    "bot.cli.recache:MAX_ENTRIES": ("off-path", "cache size"),
    "bot.cli.dccache:MAX_ENTRIES": ("off-path", "cache size (a run past it keeps only the sources it used)"),
    "bot.core.yamldata:MAX_ENTRIES": ("off-path", "cache size (a file past it is parsed every time)"),
    "bot.agentprocs:MAX_MESSAGE_BYTES": ("off-path", "a child agent process's message over it is garbage: its "
                                         "agents abstain (tests/test_agentprocs.py), so no approval"),
    "bot.risk.step:MAX_MESSAGE_BYTES": ("off-path", "a forked history step's message over it is garbage: an error "
                                        "assessment, the risk gate holds back (tests/risk/test_forked_risk_step.py)"),
    "bot.cli.cmdserver:MAX_HEADER_BYTES": ("off-path", "command-server request header: an oversize request is "
                                           "dropped, so no review runs"),
    "bot.cli.warmstate:MAX_WARM_TREES": ("off-path", "cache size: rows of at most this many repositories' last trees "
                                         "kept by the command server; the others are read from the index cache"),
    "bot.cli.warmstate:MAX_WARM_BYTES": ("off-path", "cache size: a tree whose rows exceed it is not kept; its rows are "
                                         "read from the index cache as without a server"),
    "bot.app.console:MAX_TABLE_ROWS": ("off-path", "rows shown by the auditor console"),
    "bot.app.console:MAX_TOKEN_CHARS": ("off-path", "length of a console sign-in token"),
    "bot.audit.query:MAX_PAGE": ("off-path", "page size of decision-log queries"),
    "bot.audit.checkpoint:MAX_CHECKPOINT_BYTES": ("off-path", "size of a signed checkpoint file read by audit verify"),
    "bot.risk.calibrate:SIZE_CAP_LINES": ("off-path", "which history PRs quorum calibrate fits the model on"),
    "bot.risk.calibrate:SIZE_CAP_FILES": ("off-path", "which history PRs quorum calibrate fits the model on"),
    "bot.history.cache:MAX_ROWS": ("off-path", "size of the history-facts cache"),
    "bot.core.catalog:MAX_PARTIAL_QUERIES": ("off-path", "how many partial rule queries a catalog compiles before "
                                             "compiling the whole language's; every wanted rule still runs"),
    "bot.adapters.mirror:MAX_PULL_REFS": ("off-path", "PR head refs kept in the App's mirror; history is read "
                                          "below the base commit, which the base branch holds"),
    "bot.adapters.gitlocal:MAX_NUMSTAT_BYTES": ("off-path", "sizes the header of a diff that is already truncated "
                                                "(a truncated diff is never approved)"),
    "bot.history.facts:MAX_PARSE_BYTES": ("gap", None, "history facts feed only the risk gate, which can only hold "
                                          "an approval back; a file over it contributes no function-level facts"),
    "bot.history.facts:MAX_FILES": ("gap", None, "history facts feed only the risk gate, which can only hold an "
                                    "approval back; files beyond it contribute no history facts"),
}


def _kind(entry: Any) -> str:
    return entry if isinstance(entry, str) else "scan" if isinstance(entry, Scan) else entry[0]


@contextmanager
def lowered(key: str, value: int) -> Iterator[None]:
    """Set the cap ``module:NAME`` to ``value``, also where it was imported by name into another
    module of ours (``from m import NAME``) or bound as a keyword default argument."""
    module_name, name = key.split(":")
    module = importlib.import_module(module_name)
    old = getattr(module, name)
    patched: list[tuple[Callable[..., Any], str, Any]] = []
    copies = [m for n, m in list(sys.modules.items()) if n.split(".")[0] in ("bot", "subagents")
              and getattr(m, name, None) is old]
    for m in copies:
        setattr(m, name, value)
    try:
        for obj in list(vars(module).values()):
            funcs = [obj] + [v for v in vars(obj).values() if callable(v)] if isinstance(obj, type) else [obj]
            for fn in funcs:
                kw = getattr(fn, "__kwdefaults__", None)
                for arg, default in list((kw or {}).items()):
                    if default is old:
                        patched.append((fn, arg, default))
                        kw[arg] = value
        yield
    finally:
        for m in copies:
            setattr(m, name, old)
        for fn, arg, default in patched:
            fn.__kwdefaults__[arg] = default


def review(tmp_path: Path, head: dict[str, str], name: str) -> Any:
    body = head.pop("body", "Adds a short usage note.") if "body" in head else "Adds a short usage note."
    files = head or {"README.md": "# Demo\n\nA demo project.\n\nUsage.\n"}
    repo, _, _ = make_repo(tmp_path, BASE, files, title="docs: usage note", body=body, name=name)
    snap = LocalGitSource(repo).snapshot()
    try:
        return run_review(SnapshotSource(snap), PipelineOptions()).result
    finally:
        snap.close()


def test_every_cap_constant_is_classified() -> None:
    caps = collect_caps()
    assert caps - set(CAPS) == set(), "new cap constants: classify them in tests/test_caps.py"
    assert set(CAPS) - caps == set(), "caps no longer in the code: remove them here"
    assert {_kind(e) for e in CAPS.values()} <= {"scan", "display", "reject", "off-path", "gap"}


SCANS = {k: e for k, e in CAPS.items() if _kind(e) == "scan"}
GAPS = {k: e for k, e in CAPS.items() if _kind(e) == "gap" and e[1] is not None}


def _prove(key: str, proof: Scan, tmp_path: Path) -> None:
    with lowered(key, proof.value):
        control = review(tmp_path, dict(proof.under), "under")
        result = review(tmp_path, dict(proof.over), "over")
    assert control.decision.action is Action.approve, [r.message for r in control.decision.reasons]
    assert result.decision.action is not Action.approve
    assert any(v.truncated for v in result.verdicts) or any(
        r.rule_id in ("diff.truncated", "verdicts.truncated") for r in result.decision.reasons), result.decision.reasons


@pytest.mark.parametrize("key", sorted(SCANS))
def test_exceeding_a_scan_cap_withholds_approval(key: str, tmp_path: Path) -> None:
    _prove(key, SCANS[key], tmp_path)


@pytest.mark.parametrize("key", sorted(GAPS))
def test_known_gaps_still_approve(key: str, tmp_path: Path) -> None:
    try:
        _prove(key, GAPS[key][1], tmp_path)
    except AssertionError:
        pytest.xfail(GAPS[key][2])
    pytest.fail(f"{key} now withholds approval: move it from 'gap' to a scan proof in CAPS")


RICH = {
    "app.py": "def main():\n    return 0\n\n\ndef run(cmd, data):\n"
    + "".join(f"    breakpoint()\n    eval(data[{i}])\n" for i in range(4)) + "    return 1\n",
    "README.md": "# Demo\n\nA demo project.\n\n" + "".join(f"- item {i}\n" for i in range(30)),
}


def test_display_caps_never_change_the_decision(tmp_path: Path) -> None:
    plain = review(tmp_path, dict(RICH), "plain")
    with ExitStack() as stack:
        for key in sorted(k for k, e in CAPS.items() if _kind(e) == "display"):
            stack.enter_context(lowered(key, 1))
        capped = review(tmp_path, dict(RICH), "capped")
    assert capped.decision.action is plain.decision.action is not Action.approve
    assert [(v.agent, v.status) for v in capped.verdicts] == [(v.agent, v.status) for v in plain.verdicts]
    assert len(capped.decision.reasons) == len(plain.decision.reasons)


def test_reject_caps_refuse_oversize_input() -> None:
    from bot.core.errors import PolicyError
    from bot.policy.loader import MAX_POLICY_BYTES, load_policy

    load_policy("# " + "x" * (MAX_POLICY_BYTES - 100) + "\n", source=".quorum.yml")
    with pytest.raises(PolicyError, match="larger than"):
        load_policy("# " + "x" * MAX_POLICY_BYTES + "\n", source=".quorum.yml")
