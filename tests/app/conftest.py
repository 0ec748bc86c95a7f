"""Fixtures for the App's end-to-end tests: the shared fake GitHub and a runtime wired to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from app_helpers import BASE_FILES, INSTALLATION, REPO, Sleeps, make_runtime
from fastapi.testclient import TestClient

from bot.app.main import create_app
from bot.app.runtime import Runtime
from bot.testing.fake_github import FakeGitHub


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeGitHub]:
    with FakeGitHub(git_root=tmp_path / "git") as server:
        server.add_repo(REPO, INSTALLATION, BASE_FILES)
        server.set_permission(REPO, "maria", "write")
        server.set_permission(REPO, "rita", "read")
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def runtime(fake: FakeGitHub, tmp_path: Path, sleeps: Sleeps) -> Iterator[Runtime]:
    rt = make_runtime(fake, tmp_path, sleeps)
    yield rt
    rt.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as tc:
        yield tc
