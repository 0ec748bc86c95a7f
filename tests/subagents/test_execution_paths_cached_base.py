"""execution_paths reads base definitions the symbol cache holds instead of extracting them, with
the same verdict as extracting them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.codeindex import build_index
from bot.core.context import ReviewContext
from subagents.checks.execution_paths import call_paths
from subagents.execution_paths import ExecutionPathsAgent

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

BASE = {
    "app/__init__.py": "",
    "app/core.py": "TIMEOUT = 30\n\ndef compute(a, b, scale=1):\n    return (a + b) * scale\n\ndef gone():\n    return 1\n",
    "app/report.py": "from app.core import compute, gone\n\ndef summary(rows):\n    return compute(rows, 0, scale=2) + gone()\n",
    "web/a.ts": "export function f(x: number, y: number) { return x + y; }\n",
    "web/b.ts": "import { f } from './a';\nexport const g = () => f(1, 2);\n",
    "svc/run.go": "package svc\n\nfunc Run(a int, b int) int { return a + b }\n",
    "cmd/main.go": "package main\n\nimport \"example.com/m/svc\"\n\nfunc main() { svc.Run(1, 2) }\n",
}
HEAD = {
    **BASE,
    "app/core.py": "TIMEOUT = 60\n\ndef compute(a, scale=1):\n    return a * scale\n",
    "web/a.ts": "export function f(x: number) { return x; }\n",
    "svc/run.go": "package svc\n\nfunc Run(a int) int { return a }\n",
}


def _fields(verdict) -> list[str]:  # noqa: ANN001
    return sorted(repr(sorted(f.model_dump(mode="json").items())) for f in verdict.findings)


def test_cached_base_definitions_give_the_same_verdict(make_context: Callable[..., ReviewContext], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    extracted: list[str] = []
    real = call_paths.extract_definitions

    def spy(language: str, path: str, data: bytes, **kw):  # noqa: ANN003, ANN202
        extracted.append(path)
        return real(language, path, data, **kw)

    monkeypatch.setattr(call_paths, "extract_definitions", spy)
    plain_ctx = make_context(BASE, HEAD, title="change")
    plain_index = build_index(plain_ctx.head)
    plain_ctx.code_index = lambda: plain_index
    plain = ExecutionPathsAgent().review(plain_ctx)
    assert sorted(extracted) == ["app/core.py", "svc/run.go", "web/a.ts"]

    extracted.clear()
    cache = tmp_path / "cache"
    ctx = make_context(BASE, HEAD, title="change")
    build_index(ctx.base, cache)  # the base tree's blobs are in the cache
    index = build_index(ctx.head, cache)
    ctx.code_index = lambda: index
    cached = ExecutionPathsAgent().review(ctx)
    assert extracted == []
    assert _fields(cached) == _fields(plain) and plain.findings
    assert cached.status == plain.status
