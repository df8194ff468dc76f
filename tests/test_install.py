"""A regular (non-editable) install finds its data from any folder.

An instructor installs crmlib into a grading environment with
``pip install <path or git URL>``; the wheel must carry every subpackage and
the data sets. Building and installing takes a minute, so the test is ``slow``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from support import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """crmlib built as a wheel and installed (not editable) into a throw-away folder.

    ``pip install --target`` lays the files out as in site-packages; the
    dependencies come from the test environment, which runs it with that
    folder first on ``PYTHONPATH`` (ahead of the editable checkout).
    """
    target = tmp_path_factory.mktemp("site")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(REPO),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    return target


def _python(site: Path, args: list[str], cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CRM_DATA_DIR"}
    env["PYTHONPATH"] = str(site)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True)


def _run(site: Path, code: str, cwd) -> str:
    out = _python(site, ["-c", code], cwd)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_installed_package_loads_data_from_another_folder(installed, tmp_path):
    code = (
        "import crmlib, crmlib.data as d; "
        "print(crmlib.__file__); print(d.DATA_DIR); "
        "print(len(d.load_harbor('products'))); print(len(d.load_cdnow('sample')))"
    )
    file, data_dir, products, cdnow = _run(installed, code, tmp_path).splitlines()
    assert file == str(installed / "crmlib" / "__init__.py")
    assert data_dir == str(installed / "crmlib" / "datasets")
    expected_products = sum(1 for _ in open(REPO / "datasets" / "harbor" / "products.csv")) - 1
    assert int(products) == expected_products
    assert int(cdnow) == sum(
        1 for line in open(REPO / "datasets" / "cdnow" / "CDNOW_sample.txt") if line.strip()
    )


def test_every_subpackage_is_installed(installed, tmp_path):
    """Packages are discovered, not listed: every folder of crmlib with Python code ships."""
    wanted = sorted(
        ".".join(p.relative_to(REPO).with_suffix("").parts[:-1])
        for p in (REPO / "crmlib").rglob("__init__.py")
    )
    code = (
        "import importlib, sys; names = sys.argv[1:]; "
        "mods = [importlib.import_module(n) for n in names]; "
        f"assert all(m.__file__.startswith({str(installed)!r}) for m in mods); print('ok')"
    )
    out = _python(installed, ["-c", code, *wanted], tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
    with open(REPO / "pyproject.toml", "rb") as fh:
        setuptools = tomllib.load(fh)["tool"]["setuptools"]
    assert "packages" not in setuptools or "find" in setuptools["packages"]


def test_practice_checks_work_from_the_installed_package(installed, tmp_path):
    """A student who installs the package (no checkout, no solutions/ beside it) can check
    answers: the practice keys travel in the wheel as crmlib/keys (pyproject.toml)."""
    assignment = "02_retention_economics"
    code = (
        "from crmlib import exercises\n"
        f"a = {assignment!r}\n"
        "print(exercises.key_path(a))\n"
        "wb = exercises.Workbook(a, student_id='')\n"
        "qid, question = next(iter(exercises.load_key(a).questions.items()))\n"
        "wb[qid].check(question.expected(wb.variant))\n"
    )
    key, verdict = _run(installed, code, tmp_path).splitlines()
    assert key == str(installed / "crmlib" / "keys" / f"{assignment}_key.py")
    assert verdict.startswith("q1: correct (") and "cannot check" not in verdict, verdict


def test_the_wheel_carries_the_keys_and_no_solution_notebook(installed):
    keys = sorted(p.name for p in (installed / "crmlib" / "keys").iterdir()
                  if p.suffix == ".py")
    assert keys == sorted(p.name for p in (REPO / "solutions").glob("*_key.py"))
    assert not list(installed.rglob("*.ipynb")), "a solution notebook is in the wheel"


def test_the_wheel_carries_the_review_apps_template(installed):
    # the Voila template that keeps the review app off the network (crm quiz app)
    shipped = sorted(p.relative_to(REPO / "crmlib").as_posix()
                     for p in (REPO / "crmlib" / "quiz" / "share").rglob("*") if p.is_file())
    assert shipped, "no template in the checkout"
    assert [p for p in shipped if not (installed / "crmlib" / p).is_file()] == []
