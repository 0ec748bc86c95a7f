"""Parsing worker run as a separate Python process when the parent cannot fork (it runs threads).

Started by :func:`bot.codeindex.builder.parse_missing` as ``python -I -c <boot> <package root>``.
Protocol over pipes: stdin carries one pickled list of ``(blob, path, language, source)``;
stdout gets one pickled list of ``(blob, path, header, data, error)`` (see
``builder._extract_chunk``). Pickle only travels between the bot's own processes and only
carries str/bytes tuples; nothing from the repository under review is ever executed.
"""

from __future__ import annotations

import pickle
import sys


def main() -> int:
    """Read one batch from stdin, extract it, write the results to stdout; returns the exit status."""
    from bot.codeindex.builder import _extract_chunk  # noqa: PLC0415 - after sys.path is set

    items = pickle.load(sys.stdin.buffer)
    out = _extract_chunk(items)
    sys.stdout.buffer.write(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
