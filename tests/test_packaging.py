"""The two-command setup and the two environment files stay in step."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib

import pytest
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from support import REPO


def _pyproject(repo):
    with open(repo / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)


def _specs(reqs: list[str]) -> dict[str, str]:
    return {Requirement(r).name.lower(): str(Requirement(r).specifier) for r in reqs}


def _pip_specs(repo) -> dict[str, str]:
    """What environment.yml must list: the base dependencies and the dev extra (what
    `make lab` installs), never the grader's extra."""
    project = _pyproject(repo)["project"]
    return _specs(project["dependencies"] + project["optional-dependencies"]["dev"])


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


def test_the_graders_extra_is_no_students_dependency(repo):
    """Dask's distributed (crm grade --scheduler) is the grader's optional extra: neither
    the base dependencies nor the student's conda environment carry it."""
    project = _pyproject(repo)["project"]
    grader = _specs(project["optional-dependencies"]["grader"])
    assert "distributed" in grader
    assert not set(grader) & set(_specs(project["dependencies"]))
    assert not set(grader) & set(_conda_specs(repo)), "environment.yml installs the grader"


def test_jupyter_client_is_declared(repo):
    """The grader's runner imports jupyter_client itself (not only through nbclient)."""
    base = _specs(_pyproject(repo)["project"]["dependencies"])
    assert "jupyter-client" in {n.replace("_", "-") for n in base}


def test_environment_yml_installs_crmlib_itself(repo):
    env = yaml.safe_load((repo / "environment.yml").read_text())
    pip_block = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert len(pip_block) == 1 and pip_block[0]["pip"][-1] == "-e ."
    assert env["channels"] == ["conda-forge"]


# The platforms a student's laptop may be (marker values as Python reports them), each
# with the Pythons the course supports: the lock must pin every dependency for each.
PLATFORMS = {
    "linux": {"sys_platform": "linux", "os_name": "posix", "platform_system": "Linux"},
    "macos": {"sys_platform": "darwin", "os_name": "posix", "platform_system": "Darwin"},
    "windows": {"sys_platform": "win32", "os_name": "nt", "platform_system": "Windows"},
}
PYTHONS = ("3.11.7", "3.12.4", "3.13.1", "3.14.0")


def _environment(platform: str, python: str) -> dict[str, str]:
    env = default_environment()
    env.update(PLATFORMS[platform], python_full_version=python,
               python_version=".".join(python.split(".")[:2]),
               implementation_name="cpython", platform_python_implementation="CPython")
    return env


def _lock(repo, environment: dict[str, str] | None = None) -> dict[str, str]:
    """The exact versions constraints.txt gives one platform and Python (this interpreter's
    by default): lines whose marker does not hold there are left out, as pip does."""
    pins = {}
    for n, line in enumerate((repo / "constraints.txt").read_text().splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", (
            f"constraints.txt, line {n}: expected name==version")
        if req.marker is not None and not req.marker.evaluate(environment):
            continue
        name = canonicalize_name(req.name)
        assert name not in pins, f"constraints.txt pins {name} twice for {environment}"
        pins[name] = specs[0].version
    return pins


def test_pandas_range_is_what_the_course_needs():
    """pandas 3 is the floor (its str dtype and copy-on-write; the reason is written beside
    the pin): every 3.x release satisfies it, so an environment that has a pandas 3 keeps
    its own; 4.0 is left out until make test passes on it."""
    pandas = next(
        Requirement(r)
        for r in _pyproject(REPO)["project"]["dependencies"]
        if Requirement(r).name == "pandas"
    )
    assert pandas.specifier.contains("3.0.0") and pandas.specifier.contains("3.99")
    assert not pandas.specifier.contains("2.3.3")
    assert not pandas.specifier.contains("4.0.0")
    assert Version(_lock(REPO)["pandas"]).major == 3
    for name in ("pyproject.toml", "environment.yml"):
        text = (REPO / name).read_text()
        before = text[: text.index("pandas>=")].rsplit("\n\n", 1)[-1].splitlines()[-6:]
        reason = " ".join(before)
        assert "str" in reason and "copy-on-write" in reason, f"{name}: no reason by the pin"


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("python", PYTHONS)
def test_lock_pins_every_dependency_within_its_range(repo, platform, python):
    """Base dependencies and every extra (dev, and the grader's: CI installs both), on
    each platform and Python: the lock is resolved for all of them, not one machine's
    freeze."""
    pins = _lock(repo, _environment(platform, python))
    project = _pyproject(repo)["project"]
    extras = project["optional-dependencies"]
    assert {"dev", "grader"} <= set(extras)
    for text in project["dependencies"] + [r for reqs in extras.values() for r in reqs]:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"{name} is not pinned in constraints.txt (run make lock)"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside {req.specifier} "
            "(pyproject.toml); run make lock"
        )


def test_lock_carries_each_platforms_own_packages(repo):
    """What only Windows or only a Mac installs (JupyterLab's terminals need pywinpty on
    Windows; appnope on macOS) is pinned for it and for it alone."""
    linux, mac, windows = (_lock(repo, _environment(p, "3.11.7"))
                           for p in ("linux", "macos", "windows"))
    assert "pywinpty" in windows and "pywinpty" not in linux and "pywinpty" not in mac
    assert "appnope" in mac and "appnope" not in linux and "appnope" not in windows
    assert "pexpect" in linux and "pexpect" not in windows


def test_make_lock_resolves_for_every_platform(repo):
    """make lock resolves once for all platforms (uv's --universal) and checks that the
    result installs from wheels alone on Linux, both kinds of Mac and Windows."""
    commands = _make(repo, "lock")
    (universal,) = [c for c in commands if "--universal" in c]
    assert universal[universal.index("-c") + 1] == "tools/lock_limits.txt"
    text = " ".join(" ".join(c) for c in commands)
    for platform in ("x86_64-unknown-linux-gnu", "x86_64-apple-darwin", "aarch64-apple-darwin",
                     "x86_64-pc-windows-msvc"):
        assert platform in text
    assert "--only-binary :all:" in text
    for limit in (REPO / "tools" / "lock_limits.txt").read_text().splitlines():
        if limit.strip() and not limit.startswith("#"):
            assert "  # " in limit, f"tools/lock_limits.txt: {limit!r} gives no reason"


def _make(repo, target: str, *args: str) -> list[list[str]]:
    """The commands `make` would run for a target (all of them, as if out of date)."""
    out = subprocess.run(
        ["make", "-n", "-B", "--no-print-directory", target, *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    out = out.replace("\\\n", " ")
    return [shlex.split(line) for line in out.splitlines() if line.strip()]


def _pytest_runs(commands: list[list[str]]) -> list[list[str]]:
    runs = []
    for c in commands:
        if "pytest" in c:
            runs.append(c[c.index("pytest") + 1 :])
        elif "tools/pytest_kernel_retry.py" in c:  # pytest, once more if a kernel did not start
            runs.append(c[c.index("tools/pytest_kernel_retry.py") + 1 :])
    return runs


def test_environments_install_from_the_lock(repo):
    for target in ("install", ".venv-bench/.installed"):
        installs = [c for c in _make(repo, target) if "install" in c and "-e" in c]
        assert installs, target
        for cmd in installs:
            assert cmd[cmd.index("-c") + 1] == "constraints.txt", (target, cmd)


def test_make_installs_and_locks_the_graders_extra(repo):
    """make test (and CI) get the grader's extra; make lock resolves it, so the lock keeps
    pinning distributed."""
    (install,) = [c for c in _make(repo, "install") if "install" in c and "-e" in c]
    assert install[install.index("-e") + 1] == ".[dev,grader]", install
    resolve = [c for c in _make(repo, "lock") if "compile" in c]
    assert resolve, "make lock resolves nothing"
    for cmd in resolve:
        extras = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--extra"]
        assert cmd[cmd.index("compile") + 1] == "pyproject.toml", cmd
        assert sorted(extras) == ["dev", "grader"], cmd


def test_readme_starts_with_the_two_commands(repo):
    readme = (repo / "README.md").read_text()
    first_block = re.search(r"```(?:bash|sh)?\n(.*?)```", readme, re.S).group(1)
    assert [line.strip() for line in first_block.strip().splitlines()] == ["make lab", "make test"]
    assert "conda env create -f environment.yml" in readme


def test_readme_shows_windows_and_macos_the_way_in_without_make(repo):
    """The conda route and python.org's, on Windows and macOS, both end in crm lab, and
    the pip route installs from the lock (which resolves for every platform)."""
    readme = (repo / "README.md").read_text()
    section = readme[readme.index("### On Windows or macOS"):]
    section = section[: section.index("\n## ")]
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", readme[: readme.index("\n## What")], re.S)
    conda = next(b for b in blocks if "conda env create" in b).split()
    assert conda[-2:] == ["crm", "lab"]
    windows, macos = re.findall(r"```(?:bash)?\n(.*?)```", section, re.S)
    assert windows.split()[-2:] == [".venv\\Scripts\\crm", "lab"], windows
    assert macos.split()[-2:] == [".venv/bin/crm", "lab"], macos
    for block in (windows, macos):
        assert "-m pip install -c constraints.txt -e ." in block


def test_ci_runs_the_readme_test_command(repo):
    script = (repo / ".ci" / "run").read_text()
    assert script.strip().splitlines()[-1] == "make test"
    assert "apt-get install -y -qq chromium" in script


def test_make_unit_is_the_fast_tier_with_doctests(repo):
    (run,) = _pytest_runs(_make(repo, "unit"))
    assert run[run.index("-m") + 1] == "not browser and not slow"
    assert "--doctest-modules" in run and "crmlib" in run and "tests" in run


def test_make_test_runs_lint_every_test_and_the_notebooks(repo):
    commands = _make(repo, "test")
    ruff = next(c for c in commands if "ruff" in c[0])
    assert ruff[1:] == ["check", "crmlib", "tests", "benchmarks", "tools"]
    runs = _pytest_runs(commands)
    tests = [r for r in runs if "tests" in r]
    assert len(tests) == 1 and "-m" not in tests[0], "make test runs every marker"
    assert "--doctest-modules" in tests[0]
    strict = [r for r in runs if "--nbval" in r]
    lax = [r for r in runs if "--nbval-lax" in r]
    assert strict and lax


@pytest.mark.parametrize(
    "target, expected",
    [
        ("data", [".venv/bin/crm", "data", "build"]),
        ("verify-data", [".venv/bin/crm", "data", "verify"]),
        ("bench", [".venv-bench/bin/python", "benchmarks/bench_models.py"]),
        ("clean", ["rm", "-rf", ".venv", ".venv-bench", ".pytest_cache", ".ruff_cache", "html"]),
        ("html", [".venv/bin/python", "tools/render_html.py", "html",
                  "notebooks/[0-9][0-9]_*.ipynb"]),
    ],
)
def test_make_targets_run_their_command(repo, target, expected):
    out = subprocess.run(["make", "-n", "-B", target], cwd=repo, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "warning" not in out.stderr.lower(), out.stderr
    assert expected in _make(repo, target), f"make {target} does not run {expected}"


def test_make_lab_opens_the_first_lesson(repo):
    out = subprocess.run(
        ["make", "-n", "lab"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    assert "/crm lab" in out  # crm lab opens the first lesson (tests/test_working_copy.py)


def test_crm_command_is_installed():
    crm = shutil.which("crm") or str(__import__("pathlib").Path(sys.executable).with_name("crm"))
    out = subprocess.run([crm, "--help"], capture_output=True, text=True, check=True).stdout
    assert "data" in out
