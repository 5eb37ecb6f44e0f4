"""RELIABILITY.md is rewritten only by a run of every reliability check.

The real conftest, harness and report module of tests/reliability are
copied into a throwaway project beside two fake checks that record figures
as the real ones do, and pytest runs there in a subprocess: a run that
leaves a check out (``-k``, a file named on the command line, a skip) must
leave RELIABILITY.md as it was and put its figures in .reliability-partial.md;
a run of both rewrites RELIABILITY.md and says which run it was."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

RELIABILITY_DIR = Path(__file__).parent / "reliability"
EARLIER = "# Reliability\n\nthe last complete run's figures\n"

FAKE_CHECK = '''
import os
import pytest
from tests.reliability import harness

pytestmark = pytest.mark.{marker}


def test_{name}(request):
    if os.environ.get("FAKE_SKIP") == "{name}":
        pytest.skip("told to")
    harness.record(harness.Row(check="Fake {name}", tried="nothing", amount="1 {name}", held="all", lost="0",
                               ok=True, figures={{"nodeid": request.node.nodeid}}))
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """tests/reliability with the real machinery and two fake checks; a
    stand-in ``casework`` package, so that the harness finds this project
    and not the real one."""
    (tmp_path / "src" / "casework").mkdir(parents=True)
    (tmp_path / "src" / "casework" / "__init__.py").write_text("")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    reliability: fault-injection checks\n"
                                         "    cluster: the loopback cluster\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    for folder in ("reliability", "cluster"):
        (tmp_path / "tests" / folder).mkdir()
        for module in (RELIABILITY_DIR.parent / folder).glob("*.py"):
            if not module.name.startswith("test_"):
                shutil.copy(module, tmp_path / "tests" / folder / module.name)
    checks = tmp_path / "tests" / "reliability"
    for name in ("one", "two"):
        (checks / f"test_fake_{name}.py").write_text(FAKE_CHECK.format(name=name, marker="reliability"))
    # A check of the loopback cluster (tests/cluster) belongs to the same suite.
    (tmp_path / "tests" / "cluster" / "test_fake_three.py").write_text(FAKE_CHECK.format(name="three",
                                                                                         marker="cluster"))
    (tmp_path / "RELIABILITY.md").write_text(EARLIER)
    return tmp_path


def run(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CASEWORK_", "PYTEST_"))}
    # No plugins from the environment: the report needs none, and they take seconds to import.
    clean.update(env, PYTHONPATH=str(project / "src"), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], check=False,
                          cwd=project, env=clean, capture_output=True, text=True, timeout=120)


SUITE = "reliability or cluster"


@pytest.mark.parametrize("selection, env, left_out", [
    (["-m", SUITE, "-k", "one or three"], {}, "two"),
    (["-m", SUITE, "tests/reliability/test_fake_one.py", "tests/cluster"], {}, "two"),
    (["-m", SUITE], {"FAKE_SKIP": "two"}, "two"),
    (["-m", "reliability"], {}, "three"),
], ids=["deselected by -k", "named files only", "one skipped", "the cluster checks left out"])
def test_a_run_that_leaves_a_check_out_writes_its_figures_elsewhere_and_leaves_reliability_md(project, selection, env,
                                                                                              left_out):
    done = run(project, *selection, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (project / "RELIABILITY.md").read_text() == EARLIER
    partial = project / ".reliability-partial.md"
    assert str(partial) in done.stdout, done.stdout
    figures = partial.read_text()
    assert "# Reliability: a partial run" in figures and "| Fake one |" in figures
    assert f"| Fake {left_out} |" not in figures
    assert f"test_fake_{left_out}.py::test_{left_out}" in figures  # named as left out


def test_a_run_of_every_check_rewrites_reliability_md_and_says_which_run_it_was(project):
    done = run(project, "-m", SUITE, CASEWORK_RELIABILITY_FULL="1")
    assert done.returncode == 0, done.stdout + done.stderr
    written = (project / "RELIABILITY.md").read_text()
    assert "| Fake one |" in written and "| Fake two |" in written and "| Fake three |" in written
    assert "partial" not in written.splitlines()[0]
    assert "- sizes: full (CASEWORK_RELIABILITY_FULL=1)" in written
    assert ("- command: `CASEWORK_RELIABILITY_FULL=1 PYTHONPATH=src pytest -p no:cacheprovider -m "
            "'reliability or cluster'`") in written
    assert "- checks: 3 passed, 0 failed, 0 skipped" in written
    assert not (project / ".reliability-partial.md").exists()
    assert f"complete run: {project / 'RELIABILITY.md'} rewritten" in done.stdout
