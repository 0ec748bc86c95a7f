"""The parse-once view: each file version is read once and parsed at most once per review."""

from __future__ import annotations

import threading

from bot.codeindex import build_index
from bot.testing.fake_tree import MemoryTree, memory_context
from subagents import default_agents

BASE = {
    "app/__init__.py": "",
    "app/pay.py": "import os\n\n\ndef charge(order):\n    if order.total <= 0:\n        raise ValueError('empty')\n    return order.total\n",
    "web/a.ts": "export function f(x: number) { return x; }\n",
    "svc/main.go": "package svc\n\nfunc Run() error {\n\treturn nil\n}\n",
}
HEAD = {
    "app/pay.py": "import os\n\n\ndef charge(order, tags=[]):\n    os.system(order.cmd)\n    return order.total + 1\n",
    "web/a.ts": "export function f(x: any) { return x!; }\n",
    "svc/main.go": "package svc\n\nfunc Run() error {\n\t_ = f.Close()\n\treturn nil\n}\n",
}


def test_every_agent_shares_one_parse_per_file_version() -> None:
    ctx = memory_context(BASE, HEAD, title="refactor: tidy charge", body="")
    ctx.code_index = lambda: build_index(ctx.head, workers=1)
    threads = [threading.Thread(target=a.review, args=(ctx,)) for a in default_agents(None)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert ctx.files.parses, "the agents parsed nothing through the shared view"
    assert max(ctx.files.parses.values()) == 1, ctx.files.parses
    assert ("head", "app/pay.py") in ctx.files.parses and ("base", "app/pay.py") in ctx.files.parses


def test_reads_are_cached_and_oversize_files_are_not_parsed() -> None:
    class Counting(MemoryTree):
        reads = 0

        def read(self, path: str) -> bytes | None:
            Counting.reads += 1
            return super().read(path)

    from bot.core.changeset import MAX_PARSE_BYTES, ChangedFiles

    big = "x = 1\n" * (MAX_PARSE_BYTES // 6 + 10)
    files = ChangedFiles(Counting({"a.py": "x = 1\n"}), Counting({"a.py": "x = 2\n", "big.py": big}))
    for _ in range(3):
        assert files.read("head", "a.py") == b"x = 2\n"
        assert files.tree("head", "a.py", "python") is not None
    assert Counting.reads == 1 and files.parses[("head", "a.py")] == 1
    assert files.tree("head", "big.py", "python") is None
    assert files.tree("base", "missing.py", "python") is None

