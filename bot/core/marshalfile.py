"""Read and write the CLI's per-user ``marshal`` cache files (compiled regular expressions, parsed
YAML data): plain data only (``marshal`` never runs code, unlike pickle), fail safe both ways."""

from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import Any


def read_marshal(path: Path) -> Any:
    """The object stored in ``path``, or None when the file is missing, unreadable or not a
    ``marshal`` stream of this Python (``marshal.loads`` raises ValueError/EOFError/TypeError)."""
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None


def write_marshal(path: Path, value: Any, prefix: str) -> None:
    """Write ``value`` to ``path`` atomically (a temporary file named ``<prefix>*.tmp`` in the same
    directory, then ``os.replace``). An unwritable directory or a value ``marshal`` cannot hold
    leaves the old file (if any) in place: nothing is raised."""
    import tempfile  # noqa: PLC0415 - only when something new is written (it imports shutil, random)

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(marshal.dumps(value))
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass
