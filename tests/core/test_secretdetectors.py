"""The shipped detect-secrets specs (:mod:`bot.core.secretdetectors`) against the installed library.

Every secret-shaped value below is a fake assembled from pieces, so that no scanner mistakes this
file for a leak.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.core import _ds_specs, sanitize, secretdetectors
from bot.core.secretdetectors import KeywordDetector, RegexDetector, build, describe, generate, load_detector

pytest.importorskip("detect_secrets")

HEX32 = "0123456789abcdef" * 2
ALNUM = "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7"

LINES = [
    # one or more lines per detector, each a hit for it
    "aws_access_key_id = " + "AK" + "IA" + "Q3EGRFLQZ7XNPW2K",
    'aws_secret = "' + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYz8Kq2Lm9Np" + '"',
    "conn = 'DefaultEndpointsProtocol=https;" + "Account" + "Key=" + "A" * 86 + "==;'",
    "token: " + "gh" + "p_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "GL = " + "gl" + "pat-" + "abcdefghij1234567890",
    "runner = " + "GR" + "1348941" + "abcdefghij1234567890xy",
    "//registry.npmjs.org/:_auth" + "Token=" + "npm_" + ALNUM + "abcdefghi",
    "OPENAI = 'sk-" + "abcdefghijklmnopqrst" + "T3Blbk" + "FJ" + "abcdefghijklmnopqrst'",
    "twine = " + "pypi-" + "AgEIcHlwaS5vcmc" + "x" * 70,
    "SENDGRID = 'SG." + "a" * 22 + "." + "b" * 43 + "'",
    "slack = " + "xo" + "xb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "hook = 'https://hooks.slack.com/services/T" + "01234567/B01234567/" + "abcdefghijklmnopqrstuvwx'",
    "square = " + "sq0" + "csp-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "stripe = " + "sk" + "_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "stripe = " + "rk" + "_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "artifactory = " + "AKC" + "p" + "a" * 69,
    "artifactory = " + "AP" + "6" + "a" * 9,
    "url = 'https://admin:" + "Xk9mP2vLq7@" + "db.example.com/prod'",
    "DISCORD = '" + "M" + "a" * 23 + "." + "b" * 6 + "." + "c" * 27 + "'",
    'password = "Xk9#mP2vLq"',
    'db_pass: "S3cr3tVa1ue!"',
    "if secret == 'hunter2hunter2': pass",
    "MAILCHIMP = '" + HEX32 + "-us12'",
    "telegram = '" + "123456789" + ":" + "A" * 35 + "'",
    "TWILIO_SID = 'AC" + HEX32 + "'",
    "TWILIO_KEY = 'SK" + HEX32 + "'",
    # near misses and ordinary code
    "for key, value in sorted(mapping.items()):",
    "api_key = os.environ['API_KEY']",
    'password = ""',
    "url = 'https://api.github.com/repos/{owner}/{name}'",
    "x = 'AKIA' + suffix",
    "global_settings = load(glob('*.toml'))",
    "",
    "é" * 40 + " password = 'ÿÿÿÿ€€€€'",
]


def _library(module: str, cls: str):  # noqa: ANN202
    from importlib import import_module

    return getattr(import_module(f"detect_secrets.plugins.{module}"), cls)()


def _fingerprint_matches() -> bool:
    return secretdetectors.installed_fingerprint(_ds_specs.MODULES) == _ds_specs.FINGERPRINT


def test_shipped_specs_are_those_of_the_installed_library() -> None:
    """Either the installed detect-secrets is the one the specs came from, and regenerating them
    gives the shipped file byte for byte, or it is another and no spec is used."""
    if _fingerprint_matches():
        assert generate(sanitize.DETECTOR_CLASSES) == Path(_ds_specs.__file__).read_text()
        assert len(_ds_specs.SPECS) == len(sanitize.DETECTOR_CLASSES) - 1  # all but the JWT detector
    else:
        secretdetectors._shipped.cache_clear()
        assert secretdetectors._shipped() == {}
        assert type(load_detector("aws", "AWSKeyDetector")).__module__.startswith("detect_secrets")


@pytest.mark.parametrize(("module", "cls"), sorted(_ds_specs.SPECS))
def test_a_detector_built_from_its_spec_finds_what_the_library_finds(module: str, cls: str) -> None:
    real = _library(module, cls)
    light = build(describe(real))  # the installed library's spec, whatever its version
    assert isinstance(light, RegexDetector | KeywordDetector)
    assert light.secret_type == real.secret_type
    found = 0
    for line in LINES:
        got = list(light.analyze_string(line))
        assert got == list(real.analyze_string(line)), line
        found += len(got)
    assert found, f"no line of the corpus exercises {cls}"
    if _fingerprint_matches():
        assert describe(real) == _ds_specs.SPECS[(module, cls)]


def test_a_detector_with_its_own_analyze_string_has_no_spec() -> None:
    assert describe(_library("jwt", "JwtTokenDetector")) is None
    assert ("jwt", "JwtTokenDetector") not in _ds_specs.SPECS
    assert type(load_detector("jwt", "JwtTokenDetector")).__name__ == "JwtTokenDetector"


def test_a_changed_library_falls_back_to_its_own_detectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ds_specs, "FINGERPRINT", "0" * 64)
    secretdetectors._shipped.cache_clear()
    try:
        detector = load_detector("keyword", "KeywordDetector")
        assert type(detector).__module__ == "detect_secrets.plugins.keyword"
    finally:
        monkeypatch.undo()
        secretdetectors._shipped.cache_clear()


def test_an_unreadable_package_has_no_fingerprint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(secretdetectors, "_package_dir", lambda: tmp_path)
    assert secretdetectors.installed_fingerprint(("aws",)) is None
    monkeypatch.setattr(secretdetectors, "_package_dir", lambda: None)
    assert secretdetectors.installed_fingerprint(("aws",)) is None


def test_a_spec_of_another_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown detector spec kind"):
        build(("entropy", "Base64 High Entropy String", ()))


def test_secret_scan_gives_the_same_hits_with_the_library_detectors(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole line scan, shipped specs against the library's own instances."""
    assert _fingerprint_matches(), "regenerate bot/core/_ds_specs.py (python -m bot.core.secretdetectors)"
    sanitize._detector.cache_clear()
    shipped = [sanitize.secret_scan_line(line) for line in LINES]
    assert sum(map(len, shipped)) >= 20
    monkeypatch.setattr(secretdetectors, "_shipped", dict)
    sanitize._detector.cache_clear()
    try:
        assert [sanitize.secret_scan_line(line) for line in LINES] == shipped
        assert type(sanitize._detector(0)).__module__ == "detect_secrets.plugins.aws"
    finally:
        monkeypatch.undo()
        sanitize._detector.cache_clear()


def test_detect_secrets_is_not_imported_for_the_shipped_detectors() -> None:
    """In a fresh interpreter: keyword, AWS and GitHub lines are scanned without detect-secrets;
    a line for the JWT detector (no spec) imports it."""
    if not _fingerprint_matches():
        pytest.fail("regenerate bot/core/_ds_specs.py (python -m bot.core.secretdetectors)")
    code = (
        "import sys\n"
        "from bot.core.sanitize import secret_scan_line\n"
        f"lines = {LINES!r}\n"
        "assert sum(len(secret_scan_line(line)) for line in lines) >= 20\n"
        "assert 'detect_secrets' not in sys.modules and 'requests' not in sys.modules\n"
        "secret_scan_line('token = \"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl\"')\n"
        "assert 'detect_secrets' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
