"""The floor of a review (issue 14): start Python, run ``git diff``, and tree-sitter-parse both
versions of every changed file once. Nothing else: no Quorum import.

Usage (one process per measurement; its wall time, process start included, is the floor)::

    python evals/bench/floor.py REPO BASE HEAD

Prints ``files parsed, bytes parsed`` as one JSON line. The grammars are the same per-language
wheels Quorum uses (tree-sitter 0.26 API); the extension map mirrors ``bot/core/languages.py``.
"""

from __future__ import annotations

import importlib
import json
import posixpath
import subprocess
import sys

GRAMMARS = {
    ".py": ("tree_sitter_python", "language"), ".pyi": ("tree_sitter_python", "language"),
    ".js": ("tree_sitter_javascript", "language"), ".mjs": ("tree_sitter_javascript", "language"),
    ".cjs": ("tree_sitter_javascript", "language"), ".jsx": ("tree_sitter_javascript", "language"),
    ".ts": ("tree_sitter_typescript", "language_typescript"), ".mts": ("tree_sitter_typescript", "language_typescript"),
    ".cts": ("tree_sitter_typescript", "language_typescript"), ".tsx": ("tree_sitter_typescript", "language_tsx"),
    ".go": ("tree_sitter_go", "language"),
}


def main(repo: str, base: str, head: str) -> dict[str, int]:
    """Diff, read both versions of each changed file, parse each once; returns counts."""
    from tree_sitter import Language, Parser  # noqa: PLC0415

    diff = subprocess.run(["git", "-C", repo, "diff", "--no-color", "-M", base, head],
                          check=True, capture_output=True).stdout
    names = subprocess.run(["git", "-C", repo, "diff", "--name-only", "--no-renames", base, head],
                           check=True, capture_output=True, text=True).stdout.split("\n")
    specs = []
    for path in filter(None, names):
        grammar = GRAMMARS.get(posixpath.splitext(path)[1].lower())
        if grammar:
            specs += [(f"{rev}:{path}", grammar) for rev in (base, head)]
    blobs: list[tuple[bytes, tuple[str, str]]] = []
    if specs:
        out = subprocess.run(["git", "-C", repo, "cat-file", "--batch"], input="".join(s + "\n" for s, _ in specs).encode(),
                             check=True, capture_output=True).stdout
        pos = 0
        for _, grammar in specs:
            nl = out.index(b"\n", pos)
            header = out[pos:nl].split()
            pos = nl + 1
            if len(header) == 3:  # "<sha> blob <size>"; "<spec> missing" when the file is absent
                size = int(header[2])
                blobs.append((out[pos:pos + size], grammar))
                pos += size + 1
    parsers: dict[tuple[str, str], Parser] = {}
    parsed = 0
    for data, grammar in blobs:
        parser = parsers.get(grammar)
        if parser is None:
            module, fn = grammar
            parser = parsers[grammar] = Parser(Language(getattr(importlib.import_module(module), fn)()))
        parser.parse(data)
        parsed += len(data)
    return {"diff_bytes": len(diff), "files_parsed": len(blobs), "bytes_parsed": parsed}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
