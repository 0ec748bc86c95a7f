"""How the safety rules treat test code (bot.core.paths.is_test_path).

A dangerous call is dangerous when untrusted input reaches it; in test code the input is the
test's own data and the code never ships, so the finding is ``info`` (summary only, not posted).
A JSON Web Token in test code is a fixture (signed with the test's key): ``info``. A provider
credential stays critical wherever it is. Regression tests for the findings corpus: attrs'
``pickle.loads`` round trips in tests/, echo's example JWTs in middleware/jwt_test.go.
Fake credentials are assembled at run time so this file does not trip secret scanners.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest

from bot.core.context import ReviewContext
from bot.core.models import Severity, Verdict
from subagents.safety import SafetyAgent


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


JWT = ".".join([_b64({"alg": "HS256", "typ": "JWT"}), _b64({"sub": "1234567890", "name": "Jane Roe"}),
                "TJVA95OrM7E2cBab30RMHrHDcEfxjoYZgeFONFh7HgQ"])
GH_TOKEN = "gh" + "p_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


@pytest.fixture
def review(make_context: Callable[..., ReviewContext]) -> Callable[..., Verdict]:
    return lambda base, head: SafetyAgent().review(make_context(base, head, title="Update code", body=""))


def severities(v: Verdict, rule: str) -> list[Severity]:
    return [f.severity for f in v.findings if f.rule_id == rule or f.rule_id.startswith(rule + "/")]


@pytest.mark.parametrize("path", ["tests/test_make.py", "pkg/conftest.py", "src/app_test.py"])
def test_dangerous_call_in_test_code_is_info(review: Callable[..., Verdict], path: str) -> None:
    v = review({path: "pass\n"}, {path: "import pickle\nobj = pickle.loads(pickle.dumps(x))\n"})
    assert severities(v, "safety/dangerous-call") == [Severity.info]
    [f] = [f for f in v.findings if f.rule_id == "safety/dangerous-call/deserialize"]
    assert "test code" in f.message


def test_dangerous_call_in_runtime_code_stays_major(review: Callable[..., Verdict]) -> None:
    v = review({"src/session.py": "pass\n"}, {"src/session.py": "import pickle\nobj = pickle.loads(blob)\n"})
    assert severities(v, "safety/dangerous-call") == [Severity.major]


@pytest.mark.parametrize("path", ["middleware/jwt_test.go", "test/auth.spec.ts", "tests/test_tokens.py"])
def test_jwt_in_test_code_is_info(review: Callable[..., Verdict], path: str) -> None:
    v = review({path: "\n"}, {path: f'token = "{JWT}"\n'})
    assert severities(v, "safety/secret") == [Severity.info]


def test_jwt_in_runtime_code_stays_critical(review: Callable[..., Verdict]) -> None:
    v = review({"app/client.py": "\n"}, {"app/client.py": f'TOKEN = "{JWT}"\n'})
    assert severities(v, "safety/secret") == [Severity.critical]


def test_provider_credential_in_test_code_stays_critical(review: Callable[..., Verdict]) -> None:
    v = review({"tests/test_api.py": "\n"}, {"tests/test_api.py": f'TOKEN = "{GH_TOKEN}"\n'})
    assert severities(v, "safety/secret") == [Severity.critical]
