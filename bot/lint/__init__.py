"""External analyzers (ruff, oxlint) run safely on copies of the changed files.

:class:`ExternalLinters` implements :class:`bot.core.protocols.Linters`; the review pipeline hands
one to every :class:`~bot.core.context.ReviewContext`, and the ``anti_patterns`` agent's lint
checks (``subagents/checks/anti_patterns/lint.py``) call it. Like :mod:`bot.codeindex`, this package is a
service below the pipeline: it parses, it never imports or runs code from the repository.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.lint.runner import DEFAULT_TIMEOUT_S, Diagnostic, LinterError, new_in_head, run_oxlint, run_ruff


class ExternalLinters:
    """ruff and oxlint from this environment, each run with a wall-clock limit of ``timeout_s`` seconds."""

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s

    def lint(self, tool: str, files: Mapping[str, str], rules: Sequence[str]) -> list[Diagnostic]:
        """Diagnostics of ``tool`` (``ruff`` or ``oxlint``) for ``files`` ({path: text}) with only
        ``rules`` switched on. Raises LinterError when the tool cannot run (the caller fails closed)."""
        if tool == "ruff":
            return run_ruff(files, rules, timeout_s=self.timeout_s)
        if tool == "oxlint":
            return run_oxlint(files, rules, timeout_s=self.timeout_s)
        raise LinterError(f"unknown linter {tool!r} (valid: ruff, oxlint)")


__all__ = ["Diagnostic", "ExternalLinters", "LinterError", "new_in_head"]
