"""Import edits as behaviour for ``logic/untested-behaviour-change`` (subagents/logic_imports.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.core.context import ReviewContext
from bot.core.diff import parse_diff
from subagents.logic import LogicAgent
from subagents.logic_imports import changed_line_names, only_reorders_imports, removed_reexports, typing_dependency_changed

UNTESTED = "logic/untested-behaviour-change"
UNRELATED = "\n\ndef test_quorum_unrelated_sanity():\n    assert 1 + 1 == 2\n"


@pytest.fixture
def untested(make_context: Callable[..., ReviewContext]) -> Callable[..., list]:
    """``untested(base, head) -> [findings of logic/untested-behaviour-change]``."""

    def run(base: dict, head: dict) -> list:
        verdict = LogicAgent().review(make_context(base, head, title="change"))
        return [f for f in verdict.findings if f.rule_id == UNTESTED]

    return run


API = """\
from ._impl import helper, Widget
from .util import tidy

__all__ = ["helper", "Widget", "tidy"]


def run(x):
    return helper(x)
"""

SOCKET = """\
try:
    from ._core import (
        AF_INET, AF_UNIX,
        SO_REUSEPORT,
    )
except ImportError:
    pass
"""


def test_removed_reexports() -> None:
    head = API.replace("from ._impl import helper, Widget", "from ._impl import helper")
    assert removed_reexports("pkg/api.py", API.encode(), head.encode()) == ["Widget"]
    # not in __all__: still a re-export, from a private module into a public one, unused here
    plain = API.replace('__all__ = ["helper", "Widget", "tidy"]\n', "")
    assert removed_reexports("pkg/api.py", plain.encode(), head.replace('__all__ = ["helper", "Widget", "tidy"]\n', "").encode()) == ["Widget"]
    # an unused import from a public module is a cleanup, not a re-export
    cleanup = plain.replace("from .util import tidy\n", "")
    assert removed_reexports("pkg/api.py", plain.encode(), cleanup.encode()) == []
    # ... unless the package's __init__ or __all__ publishes it, or it uses the `x as x` form
    assert removed_reexports("pkg/__init__.py", plain.encode(), cleanup.encode()) == ["tidy"]
    assert removed_reexports("pkg/api.py", API.encode(), API.replace("from .util import tidy\n", "").encode()) == ["tidy"]
    alias = "from .util import tidy as tidy\n"
    assert removed_reexports("pkg/api.py", alias.encode(), b"") == ["tidy"]
    # a private module exports nothing; a name still bound (moved, defined) is not removed
    assert removed_reexports("pkg/_api.py", API.encode(), head.encode()) == []
    assert removed_reexports("pkg/api.py", API.encode(), (head + "\nclass Widget:\n    pass\n").encode()) == []
    # re-ordered or re-wrapped imports remove nothing; nested try blocks count; bad input is empty
    assert removed_reexports("pkg/api.py", API.encode(), API.replace("helper, Widget", "Widget, helper").encode()) == []
    assert removed_reexports("s/socket.py", SOCKET.encode(), SOCKET.replace("        SO_REUSEPORT,\n", "").encode()) == ["SO_REUSEPORT"]
    assert removed_reexports("pkg/api.py", b"def (:\n", API.encode()) == []
    assert removed_reexports("pkg/api.py", None, API.encode()) == []


def test_typing_dependency_changed() -> None:
    guarded = b"from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from typing_extensions import Final\n"
    runtime = b"from typing_extensions import Final\n"
    assert typing_dependency_changed(guarded, runtime) and typing_dependency_changed(runtime, guarded)
    assert not typing_dependency_changed(runtime, b"import os\n" + runtime)
    assert not typing_dependency_changed(guarded, guarded + b"from typing import Any\n")
    assert typing_dependency_changed(None, b"import typing_extensions\n")
    assert not typing_dependency_changed(b"try:\n    from typing_extensions import Self\nexcept ImportError:\n    pass\n", None)


def test_changed_line_names() -> None:
    fc = parse_diff(
        "diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n"
        "-TIMEOUT = 5  # seconds in Retry\n+TIMEOUT = len(self.DEFAULTS)\n __all__ = ['x']\n"
    ).files[0]
    assert changed_line_names(fc) == ["TIMEOUT", "DEFAULTS"]


def _diff(base: str, head: str):  # noqa: ANN202
    import difflib

    lines = difflib.unified_diff(base.splitlines(True), head.splitlines(True), "a/m.py", "b/m.py", n=0)
    return parse_diff("diff --git a/m.py b/m.py\n" + "".join(lines)).files[0]


def test_only_reorders_imports() -> None:
    base = "import os\nfrom a import (b,\n    c)\n\nX = os.sep\n"
    for head, same in (
        ("from a import c, b\nimport os\n\nX = os.sep\n", True),
        ("import os\nfrom a import (\n    b,\n    c,\n)\n\nX = os.sep\n", True),
        ("import os\nfrom a import b\n\nX = os.sep\n", False),            # a name dropped
        ("import os\nfrom a import b, c as d\n\nX = os.sep\n", False),    # an alias
        ("import os\nfrom a import b, c\n\nX = os.sep + c\n", False),     # code changed too
    ):
        assert only_reorders_imports(_diff(base, head), base.encode(), head.encode()) is same, head
    assert not only_reorders_imports(_diff(base, base + "Y = 1\n"), base.encode(), (base + "Y = 1\n").encode())


APP = "import os\n\nRETRIES = 3\n\n\ndef load(path):\n    return os.path.exists(path)\n"
TEST = "import app\n\n\ndef test_load():\n    assert app.load('.')\n"


def test_module_level_change_needs_a_test_that_names_it(untested) -> None:  # noqa: ANN001
    head = APP.replace("RETRIES = 3", "RETRIES = 4")
    # a trivially true test added to a test file that imports the module exercises nothing
    (f,) = untested({"app.py": APP, "tests/test_app.py": TEST}, {"app.py": head, "tests/test_app.py": TEST + UNRELATED})
    assert "references none of the changed modules" in f.message
    # test code that names the changed constant, or the module, exercises it
    named = TEST + "\n\ndef test_retries():\n    assert RETRIES == 4\n"
    assert untested({"app.py": APP, "tests/test_app.py": TEST}, {"app.py": head, "tests/test_app.py": named}) == []
    module = TEST + "\n\ndef test_module():\n    assert app.load('/')\n"
    assert untested({"app.py": APP, "tests/test_app.py": TEST}, {"app.py": head, "tests/test_app.py": module}) == []


def test_import_edits_that_change_behaviour(untested) -> None:  # noqa: ANN001
    # a removed re-export is behaviour even though the change only deletes an import line
    (f,) = untested({"pkg/api.py": API}, {"pkg/api.py": API.replace("from .util import tidy\n", "")})
    assert "pkg/api.py" in f.message
    # a typing_extensions import made unconditional is a new runtime dependency
    base = "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from typing_extensions import Final\n\nX: Final = 1\n"
    head = "from typing_extensions import Final\n\nX: Final = 1\n"
    assert len(untested({"pkg/mod.py": base}, {"pkg/mod.py": head})) == 1
    assert len(untested({"pkg/mod.py": head}, {"pkg/mod.py": base})) == 1


def test_plain_import_edits_stay_quiet(untested) -> None:  # noqa: ANN001
    reordered = "from .util import tidy\nfrom ._impl import helper, Widget\n" + API.split("\n", 2)[2]
    assert untested({"pkg/api.py": API}, {"pkg/api.py": reordered}) == []
    cleanup = "import os\nimport sys\n\n\ndef f():\n    return os.sep\n"
    assert untested({"pkg/api.py": cleanup}, {"pkg/api.py": cleanup.replace("import sys\n", "")}) == []
    typing_only = "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from typing_extensions import Self\n"
    assert untested({"pkg/mod.py": typing_only}, {"pkg/mod.py": typing_only + "    from typing_extensions import Final\n"}) == []
