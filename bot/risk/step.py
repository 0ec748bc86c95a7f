"""The pipeline step that turns a snapshot into a :class:`~bot.risk.assess.RiskAssessment`:
pick the model (``--risk-model`` > ``.quorum/risk-model.json`` of the policy's revision >
``rules/risk-model.json``), compute the history facts below the base SHA, score them together with the review's findings
counted by registry tag (``findings_<tag>`` features).

Runs beside the sub-agents, within the review's budget: in its own thread (:class:`RiskStep`; git
is a subprocess, so it overlaps them), or, when the review may fork (``quorum review`` on a
machine with a free CPU: :func:`bot.agentprocs.may_fork`), in a forked process of its own
(:class:`ForkedRiskStep`, started first thing of the review, so that it runs on the CPU that is idle
while the review sets up and parses, and never takes the GIL of the process running the agents)
unless the history below the base was read before (:func:`history_cached`: a thread is cheaper
then). An error, an overrun or a process that dies becomes an ``error`` assessment,
which the policy gate fails closed on. Imports only the standard library and this package (pydantic only to validate a model file that is not the packaged one): no scikit-learn
or numpy on the review path.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from typing import Any

from bot.core.childproc import exit_reason, fork_piped, kill_and_reap, reap
from bot.core.packagedata import package_files
from bot.risk.assess import RiskAssessment, assess, failed
from bot.risk.model import RiskModel, RiskModelError, load_model, load_packaged_model

DEFAULT_MODEL_FILE = "risk-model.json"
"""The default model shipped in ``rules/``."""

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
"""A forked step's message larger than this (bytes; a real one is a few KB: the model, its source
and the history facts) is garbage: the child is killed and the assessment is an ``error``, so the
risk gate holds back."""


def default_model_text() -> str | None:
    """The text of ``rules/risk-model.json``, or None when the package has none."""
    try:
        return package_files("rules").joinpath(DEFAULT_MODEL_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return None


def choose_model(override_text: str | None, repo_text: str | None) -> tuple[RiskModel | None, str]:
    """``(model, source)``: the override, else the repository's file, else the default; None when
    there is none. Raises RiskModelError for a file that does not validate."""
    if override_text is not None:
        return load_model(override_text, source="--risk-model"), "--risk-model"
    if repo_text is not None:
        return load_model(repo_text, source=".quorum/risk-model.json"), ".quorum/risk-model.json"
    text = default_model_text()
    if text is None:
        return None, ""
    return load_packaged_model(text), "default"


def _prepare(snapshot: Any, history: Any, override_text: str | None) -> tuple[RiskModel, str, Any] | RiskAssessment:
    """``(model, source, facts)``, or the assessment to report when there is no model or it or
    the history facts cannot be read."""
    t0 = time.perf_counter()
    try:
        model, source = choose_model(override_text, snapshot.risk_model_text)
    except RiskModelError as exc:
        return failed(str(exc), elapsed_ms=_ms(t0))
    if model is None:
        return RiskAssessment(status="no_model", elapsed_ms=_ms(t0))
    try:
        from bot.history.facts import compute_facts  # noqa: PLC0415

        facts = compute_facts(snapshot.diff, snapshot.pr.author, snapshot.pr.base_sha, history)
    except Exception as exc:  # noqa: BLE001 - any failure to read history fails the gate closed
        return failed(f"{type(exc).__name__}: {exc}", source=source, elapsed_ms=_ms(t0))
    return model, source, facts


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


def findings_features(findings: Iterable[Any]) -> dict[str, float]:
    """The ``findings_<tag>`` features (:func:`bot.history.features.finding_features`) of
    ``findings`` (:class:`bot.core.models.Finding`), tags looked up in the default registry."""
    from bot.core.registry import default_registry  # noqa: PLC0415
    from bot.history.features import finding_features  # noqa: PLC0415

    registry = default_registry()
    return finding_features(registry.tags_of(f.rule_id) for f in findings)


def _score(prepared: tuple[RiskModel, str, Any] | RiskAssessment, findings: Iterable[Any] | None,
           elapsed_ms: float) -> RiskAssessment:
    if isinstance(prepared, RiskAssessment):
        return prepared
    model, source, facts = prepared
    features = dict(facts.features)
    if findings is not None:
        features.update(findings_features(findings))
    return assess(model, features, facts.where, source=source, elapsed_ms=elapsed_ms)


def assess_snapshot(snapshot: Any, history: Any, override_text: str | None,
                    findings: Iterable[Any] | None = None) -> RiskAssessment:
    """The assessment of one snapshot (``bot.core.protocols.Snapshot``) with a
    :class:`~bot.history.gitlog.LocalHistory`; ``findings``: the review's findings, counted by
    registry tag as features (None: those features stay 0). Never raises: errors become
    ``error`` assessments."""
    t0 = time.perf_counter()
    return _score(_prepare(snapshot, history, override_text), findings, _ms(t0))


class RiskStep:
    """Reads the history facts in a daemon thread (git is a subprocess, so it overlaps the
    sub-agents); :meth:`result` waits at most ``timeout_s``, adds the review's findings as features
    and scores. An overrun becomes an ``error`` assessment."""

    stats: dict[str, float]
    """Parts for ``Timings.agent_procs`` (none for the thread)."""

    def __init__(self, snapshot: Any, history: Any, override_text: str | None) -> None:
        self._out: tuple[RiskModel, str, Any] | RiskAssessment | None = None
        self._t0 = time.perf_counter()
        self._elapsed = 0.0
        self.stats = {}
        self._thread = threading.Thread(target=self._run, args=(snapshot, history, override_text),
                                        name="quorum-history", daemon=True)
        self._thread.start()

    def _run(self, snapshot: Any, history: Any, override_text: str | None) -> None:
        self._out = _prepare(snapshot, history, override_text)
        self._elapsed = _ms(self._t0)

    def result(self, timeout_s: float, findings: Iterable[Any] | None = None) -> RiskAssessment:
        """The assessment (an ``error`` one after ``timeout_s`` seconds); ``findings`` as in
        :func:`assess_snapshot`. ``elapsed_ms`` is the time the history facts took."""
        self._thread.join(max(0.0, timeout_s))
        if self._thread.is_alive() or self._out is None:
            return failed(f"history facts timed out after {timeout_s:g}s")
        return _score(self._out, findings, self._elapsed)

    def close(self) -> None:
        """Nothing to release: an overrunning thread is a daemon, abandoned."""


class ForkedRiskStep:
    """The history facts read in a forked child process (see the module docstring); the same
    interface and the same assessments as :class:`RiskStep`.

    The constructor forks (raises OSError when it cannot: the caller then uses a thread). Call it
    only from a process that runs no other thread (a child must not inherit a lock some thread
    holds) and whose history cache has no open database connection (a SQLite connection must not be
    used across a fork; :class:`bot.history.cache.HistoryCache` opens its own on first use, which
    then happens in the child). The child computes ``(model, source, facts)`` or the assessment to
    report (:func:`_prepare`, which never raises), sends it back as one pickle over a pipe, and
    leaves with ``os._exit``. :meth:`result` reads it within ``timeout_s`` (else the child is
    killed: ``history facts timed out after Ns``, as from the thread) and scores it with the review's
    findings here. A child that dies, or sends something that is not what :func:`_prepare` returns,
    gives an ``error`` assessment (``history facts: process ...``). :meth:`close` kills and reaps a
    child still running (call it whatever happens; :meth:`result` reaps too). ``stats``: the fork's
    wall time in this process, the child's CPU (git included) and wall time, in milliseconds.
    """

    def __init__(self, snapshot: Any, history: Any, override_text: str | None) -> None:
        self._t0 = time.perf_counter()
        self._buffer = b""
        self._pid: int | None = None
        pid, r, w = fork_piped()  # collector frozen across the fork; OSError: nothing left open
        if pid == 0:  # pragma: no cover - runs in the forked child (tested through its effects)
            code = 1
            try:
                os.close(r)
                _child_main(w, self._t0, snapshot, history, override_text)
                code = 0
            finally:
                os._exit(code)
        os.close(w)
        self._pid, self._fd = pid, r
        self.stats: dict[str, float] = {"history_fork_ms": _ms(self._t0)}

    def result(self, timeout_s: float, findings: Iterable[Any] | None = None) -> RiskAssessment:
        """The assessment, as :meth:`RiskStep.result`; the child is reaped before this returns."""
        import pickle  # noqa: PLC0415 - imported where the step forks
        import select  # noqa: PLC0415

        until = time.monotonic() + max(0.0, timeout_s)
        while self._pid is not None:
            ready, _, _ = select.select([self._fd], [], [], max(0.0, until - time.monotonic()))
            if not ready:
                self.close()
                return failed(f"history facts timed out after {timeout_s:g}s")
            data = os.read(self._fd, 1 << 16)
            if data:
                self._buffer += data
                if len(self._buffer) > MAX_MESSAGE_BYTES:
                    self.close()
                    return failed("history facts: process sent an unreadable message")
                continue
            status = self._reap(kill=False)
            if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
                return failed(f"history facts: process {exit_reason(status)}")
        try:
            out, elapsed, child = pickle.loads(self._buffer)  # noqa: S301 - from this process's own forked child
        except Exception:  # noqa: BLE001 - garbage: fail closed
            return failed("history facts: process sent an unreadable message")
        if not _prepared(out) or not isinstance(elapsed, float) or not isinstance(child, dict):
            return failed("history facts: process sent an unreadable message")
        self.stats.update({f"history_{k}": round(float(v), 2) for k, v in child.items() if isinstance(v, (int, float))})
        return _score(out, findings, elapsed)

    def close(self) -> None:
        """Kill and reap the child if it still runs; close the pipe (safe to call twice)."""
        if self._pid is not None:
            self._reap(kill=True)

    def _reap(self, *, kill: bool) -> int:
        """Reap the child (SIGKILLed first when ``kill``; else it has closed its pipe, i.e. it is
        exiting); its wait status. Closes the pipe."""
        pid, self._pid = self._pid, None
        os.close(self._fd)
        assert pid is not None
        return kill_and_reap(pid) if kill else reap(pid)


def _child_main(fd: int, t0: float, snapshot: Any, history: Any,
                override_text: str | None) -> None:  # pragma: no cover - runs in the forked child
    """In the child: :func:`_prepare`, then send ``(prepared, elapsed_ms, parts)`` on ``fd``."""
    import pickle  # noqa: PLC0415 - imported where the step forks
    import resource  # noqa: PLC0415

    out = _prepare(snapshot, history, override_text)
    elapsed = _ms(t0)
    close = getattr(history, "close", None)
    if callable(close):
        close()  # this process's own cache connection (opened here, if at all)
    cpu = sum((u.ru_utime + u.ru_stime) * 1000 for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                         resource.getrusage(resource.RUSAGE_CHILDREN)))
    data = pickle.dumps((out, elapsed, {"cpu_ms": cpu, "wall_ms": _ms(t0)}), protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _prepared(out: object) -> bool:
    """True when ``out`` is what :func:`_prepare` returns."""
    if isinstance(out, RiskAssessment):
        return True
    return isinstance(out, tuple) and len(out) == 3 and isinstance(out[0], RiskModel) and isinstance(out[1], str)


def history_cached(history: Any, base: str) -> bool:
    """True when ``history`` (a :class:`~bot.history.gitlog.LocalHistory`) has read the history
    below ``base`` before: its cache holds the base commit's time, which the facts read first
    (:meth:`~bot.history.gitlog.LocalHistory.base_time`). The facts are then mostly cache reads, a
    few milliseconds that a thread does for less than a forked process costs (after a fork this
    process copies each memory page it writes next: 3,000-3,600 more page faults and 30-50 ms more
    CPU on pydantic reviews). False when it cannot tell; then no database connection is left open
    (the forked child opens its own)."""
    cache = getattr(history, "cache", None)
    if cache is None:
        return False
    try:
        cached = cache.get("time", base, "") is not None
    except Exception:  # noqa: BLE001 - a cache that cannot be read says nothing
        cached = False
    if not cached:
        cache.close()
    return cached

