"""The two-command setup and the two environment files stay in step."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement


def _pyproject(repo):
    with open(repo / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)


def _pip_specs(repo) -> dict[str, str]:
    project = _pyproject(repo)["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return {Requirement(r).name.lower(): str(Requirement(r).specifier) for r in reqs}


def _conda_specs(repo) -> dict[str, str]:
    env = yaml.safe_load((repo / "environment.yml").read_text())
    specs = {}
    deps = [d for d in env["dependencies"] if not isinstance(d, dict)]
    pip = [d for d in env["dependencies"] if isinstance(d, dict)][0]["pip"]
    for dep in deps + [d for d in pip if d != "-e ."]:
        name, spec = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", dep).groups()
        specs[name.lower()] = spec.replace(" ", "")
    return specs


def _canon(spec: str) -> str:
    return ",".join(sorted(s for s in spec.split(",") if s))


def test_environment_yml_matches_pyproject(repo):
    pip = _pip_specs(repo)
    conda = _conda_specs(repo)
    conda.pop("pip", None)
    python = conda.pop("python")
    assert python == _pyproject(repo)["project"]["requires-python"]
    assert sorted(pip) == sorted(conda), "pyproject.toml and environment.yml list other packages"
    for name, spec in pip.items():
        assert _canon(spec) == _canon(conda[name]), f"{name}: {spec} (pip) vs {conda[name]} (conda)"


def test_environment_yml_installs_crmlib_itself(repo):
    env = yaml.safe_load((repo / "environment.yml").read_text())
    pip_block = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert len(pip_block) == 1 and pip_block[0]["pip"][-1] == "-e ."
    assert env["channels"] == ["conda-forge"]


def test_pandas_is_pinned_to_3():
    import pandas

    assert int(pandas.__version__.split(".")[0]) == 3


def test_readme_starts_with_the_two_commands(repo):
    readme = (repo / "README.md").read_text()
    first_block = re.search(r"```(?:bash|sh)?\n(.*?)```", readme, re.S).group(1)
    assert [line.strip() for line in first_block.strip().splitlines()] == ["make lab", "make test"]
    assert "conda env create -f environment.yml" in readme


def test_ci_runs_the_readme_test_command(repo):
    script = (repo / ".ci" / "run").read_text()
    assert script.strip().splitlines()[-1] == "make test"
    assert "apt-get install -y -qq chromium" in script


def test_make_test_runs_ruff_and_the_notebooks(repo):
    out = subprocess.run(["make", "-n", "test"], cwd=repo, capture_output=True, text=True,
                         check=True).stdout
    assert "ruff check" in out
    assert "--nbval " in out and "--nbval-lax" in out
    assert "pytest" in out


@pytest.mark.parametrize("target, expected", [
    ("data", "crm data build"), ("verify-data", "crm data verify"),
    ("bench", "benchmarks/bench_models.py"), ("clean", "rm -rf .venv"),
])
def test_make_targets_are_well_formed(repo, target, expected):
    out = subprocess.run(["make", "-n", target], cwd=repo, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "warning" not in out.stderr.lower(), out.stderr
    assert expected in out.stdout


def test_make_lab_opens_the_first_lesson(repo):
    out = subprocess.run(["make", "-n", "lab"], cwd=repo, capture_output=True, text=True,
                         check=True).stdout
    assert "jupyter lab" in out and "notebooks/00_start_here.ipynb" in out


def test_crm_command_is_installed():
    crm = shutil.which("crm") or str(__import__("pathlib").Path(sys.executable).with_name("crm"))
    out = subprocess.run([crm, "--help"], capture_output=True, text=True, check=True).stdout
    assert "data" in out
