"""bot.core.packagedata: the same files as importlib.resources, without importing it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from bot.core.packagedata import package_dir, package_files


def test_a_package_on_disk_is_its_directory_as_importlib_resources_gives_it() -> None:
    for name in ("rules", "bot", "subagents", "json"):
        ours, theirs = package_files(name), resources.files(name)
        assert ours == theirs and type(ours) is type(theirs)
    assert (package_files("rules") / "default_policy.yml").read_text(encoding="utf-8") == \
        resources.files("rules").joinpath("default_policy.yml").read_text(encoding="utf-8")


def test_a_zipped_package_goes_to_importlib_resources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "pkgs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped_quorum_data/__init__.py", "")
        zf.writestr("zipped_quorum_data/data.txt", "inside the zip")
    monkeypatch.syspath_prepend(str(archive))
    monkeypatch.delitem(sys.modules, "zipped_quorum_data", raising=False)
    files = package_files("zipped_quorum_data")
    assert not isinstance(files, Path)  # a zipfile.Path: importlib.resources' answer
    assert (files / "data.txt").read_text(encoding="utf-8") == "inside the zip"


def test_errors_are_those_of_importlib_resources() -> None:
    with pytest.raises(ModuleNotFoundError):
        package_files("no_such_quorum_package")
    with pytest.raises(TypeError):
        package_files("bot.core.packagedata")  # a module, not a package
    with pytest.raises(TypeError):
        resources.files("bot.core.packagedata")


def test_a_review_of_a_document_imports_neither_importlib_resources_nor_tempfile() -> None:
    """Loading the registry, the catalog, the default policy and risk model, the sensitive-path
    manifests and the linters (as every review does) imports none of them."""
    code = ("import sys; from bot.core.registry import default_registry; default_registry(); "
            "from bot.policy import load_policy; load_policy(None); "
            "from bot.core.sensitive import renovate_patterns; renovate_patterns(); "
            "from bot.risk.step import default_model_text; assert default_model_text(); "
            "from bot.lint import ExternalLinters; ExternalLinters(); "
            "print(sorted(m for m in ('importlib.resources', 'tempfile', 'shutil', 'zipfile') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_package_dir_finds_an_installed_package_without_importing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "quorum_fake_pkg").mkdir()
    (tmp_path / "quorum_fake_pkg" / "__init__.py").write_text("raise RuntimeError('imported')\n")
    (tmp_path / "quorum_fake_module.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert package_dir("quorum_fake_pkg") == tmp_path / "quorum_fake_pkg"
    assert "quorum_fake_pkg" not in sys.modules
    assert package_dir("quorum_fake_module") is None  # a module, not a package
    assert package_dir("quorum_no_such_package") is None
