"""The risk model file: JSON round trip, validation errors, pure-Python scoring, plain-words facts."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from bot.risk.assess import assess
from bot.risk.model import RiskModel, RiskModelError, dump_model, load_model, phrase


def test_json_round_trip_keeps_every_number(model: RiskModel) -> None:
    text = dump_model(model)
    again = load_model(text)
    assert again == model
    assert again.model_id() == model.model_id()
    values = {"file_fixes_12m": 14, "lines_added": 30}
    assert again.probability(values) == model.probability(values)
    assert "pickle" not in text and json.loads(text)["format"] == "quorum-risk-model"


def test_probability_is_the_logistic_of_the_linear_score(model: RiskModel) -> None:
    z = -3.0 + 1.0 * math.log1p(14) + 0.5 * math.log1p(30)
    assert model.probability({"file_fixes_12m": 14, "lines_added": 30}) == pytest.approx(1 / (1 + math.exp(-z)))
    assert model.probability({}) == pytest.approx(1 / (1 + math.exp(3.0)))  # missing values count 0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["features"][0].update(name="lines_typed"), "unknown feature 'lines_typed'"),
        (lambda d: d["features"][0].update(scale=0), "scale"),
        (lambda d: d.update(extra_key=1), "extra_key"),
        (lambda d: d.update(format="pickle"), "'format' must be"),
        (lambda d: d.update(intercept=float("nan")), "intercept"),
    ],
)
def test_invalid_files_fail_with_one_line(model: RiskModel, mutate, message: str) -> None:  # noqa: ANN001
    data = json.loads(dump_model(model))
    mutate(data)
    with pytest.raises(RiskModelError) as exc:
        load_model(json.dumps(data), source="m.json")
    assert message in str(exc.value) and "\n" not in str(exc.value) and str(exc.value).startswith("m.json")


def test_not_json() -> None:
    with pytest.raises(RiskModelError, match="not JSON"):
        load_model("{", source="x")


def test_phrase_names_the_fact_in_plain_words() -> None:
    assert phrase("file_fixes_12m", 14, "xarray/core/variable.py") == (
        "xarray/core/variable.py needed 14 fix commits in the last 12 months")
    assert phrase("func_authors_6m", 3, "f() in a.py") == "3 people changed f() in a.py in the last 6 months"


def test_assessment_names_the_largest_positive_contributions(model: RiskModel) -> None:
    a = assess(model, {"file_fixes_12m": 14, "lines_added": 2}, {"file_fixes_12m": "pkg/core.py"}, source="test")
    assert a.status == "scored" and 0 < a.probability < 1
    assert [f.feature for f in a.top] == ["file_fixes_12m", "lines_added"]
    assert a.top[0].text == "pkg/core.py needed 14 fix commits in the last 12 months"


def test_scoring_needs_no_scikit_learn_or_numpy(model: RiskModel, tmp_path) -> None:  # noqa: ANN001
    """Score a model in a fresh interpreter where importing sklearn or numpy fails."""
    path = tmp_path / "m.json"
    path.write_text(dump_model(model))
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('sklearn', 'numpy', 'scipy'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from bot.risk.step import choose_model\n"
        "import bot.pipeline, bot.policy\n"
        f"m, src = choose_model(open({str(path)!r}).read(), None)\n"
        "print(round(m.probability({'file_fixes_12m': 3}), 6), src)\n"
        "assert not any(k.split('.')[0] in ('sklearn', 'numpy') for k in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(round(model.probability({"file_fixes_12m": 3}), 6)), "--risk-model"]


def test_the_shipped_default_model_loads() -> None:
    from bot.risk.step import choose_model, default_model_text

    if default_model_text() is None:
        pytest.skip("no rules/risk-model.json in this tree")
    m, src = choose_model(None, None)
    assert m is not None and src == "default" and 0 < m.proposed_max_probability < 1


def test_the_packaged_model_is_read_without_pydantic_and_equals_its_validation() -> None:
    """``rules/risk-model.json`` is Quorum's own file: read as it is, it equals the validated model."""
    from bot.risk.model import load_packaged_model  # noqa: PLC0415
    from bot.risk.model_schema import RiskModelSpec  # noqa: PLC0415
    from bot.risk.step import default_model_text  # noqa: PLC0415

    text = default_model_text()
    assert text is not None
    packaged = load_packaged_model(text)
    assert packaged == load_model(text)
    assert packaged.model_dump() == RiskModelSpec.model_validate_json(text).model_dump(mode="json")
    code = ("import sys; from bot.risk.step import choose_model; m, _ = choose_model(None, None); "
            "print(m.model_id(), 'pydantic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == [packaged.model_id(), "False"]
