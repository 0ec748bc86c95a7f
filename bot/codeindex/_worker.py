"""Parsing worker run as a separate Python process when the parent cannot fork (it runs threads).

Started by :func:`bot.codeindex.builder.parse_missing` as ``python -I -c <boot> <package root>``.
Protocol over pipes, one frame at a time so that neither side holds a whole batch twice: stdin
carries pickled lists of ``(blob, path, language, source)`` until EOF; for each, stdout gets one
pickled list of ``(blob, path, header, data, error)`` (see ``builder._extract_chunk``). Pickle only
travels between the bot's own processes and only carries str/bytes tuples; nothing from the
repository under review is ever executed.
"""

from __future__ import annotations

import pickle
import sys


def main() -> int:
    """Extract every frame read from stdin, writing each one's results to stdout; returns the exit status."""
    from bot.codeindex.builder import _extract_chunk  # noqa: PLC0415 - after sys.path is set

    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            items = pickle.load(source)
        except EOFError:
            return 0
        pickle.dump(_extract_chunk(items), sink, protocol=pickle.HIGHEST_PROTOCOL)
        sink.flush()


if __name__ == "__main__":
    raise SystemExit(main())
