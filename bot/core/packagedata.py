"""Files of an installed package (``rules/``' data), found without importing ``importlib.resources``.

CPython 3.11's ``importlib.resources`` imports ``tempfile`` (and with it ``shutil``, ``bz2``,
``lzma`` and ``random``) when it is imported, and its file reader imports ``zipfile`` on first use:
7–12 ms of CPU in a fresh process (measured with ``time.thread_time``), which every ``quorum
review`` paid to read a handful of packaged files. For a package imported from a directory by the
standard file loaders, ``importlib.resources.files(package)`` is
``pathlib.Path(loader.path).parent`` (``importlib.readers.FileReader``: the directory of the
package's ``__init__``); :func:`package_files` returns that same path without the import. Any other
package (a zip import, a namespace package, a loader of its own) goes to
``importlib.resources.files`` as before. Source: CPython 3.11 ``Lib/importlib/resources/_common.py``
(``files``/``from_package``), ``_adapters.py`` and ``Lib/importlib/readers.py`` (``FileReader``).
"""

from __future__ import annotations

import sys
from importlib import import_module
from importlib.machinery import SourceFileLoader, SourcelessFileLoader
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

_FILE_LOADERS = (SourceFileLoader, SourcelessFileLoader)
"""Loaders whose resource reader is ``FileReader`` (exact types: a subclass may read otherwise)."""


def package_files(package: str) -> Traversable:
    """The files of the importable package ``package`` (imported if it is not yet), as
    ``importlib.resources.files(package)`` gives them: a :class:`pathlib.Path` of its directory
    for a package loaded from a file system directory, else whatever ``importlib.resources``
    returns. Raises ModuleNotFoundError when there is no such package (as ``files`` does), and
    TypeError when ``package`` is a module, not a package (likewise)."""
    module = sys.modules.get(package) or import_module(package)
    spec = getattr(module, "__spec__", None)
    loader = getattr(spec, "loader", None)
    if (spec is not None and spec.submodule_search_locations is not None and type(loader) in _FILE_LOADERS
            and isinstance(getattr(loader, "path", None), str)):
        return Path(loader.path).parent
    from importlib import resources  # noqa: PLC0415 - only for packages not loaded from a directory

    return resources.files(package)


def package_dir(package: str) -> Path | None:
    """The directory of the installed top-level package ``package``, found without importing it
    (``importlib.util.find_spec`` of a top-level name runs no code of the package; an imported one
    gives its own spec). None when it is not installed, or not one plain directory (a namespace
    package over several, a spec that cannot be read)."""
    try:
        spec = find_spec(package)
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    return Path(locations[0]) if len(locations) == 1 else None
