"""The parts of docs/proceedings.md written from the code and its data, each
between ``<!-- name:start -->`` and ``<!-- name:end -->``
(tests/proceedings/test_docs.py keeps them equal; ``python -m
casework.proceedings.docs`` rewrites them)."""

from __future__ import annotations

import json
import re
import sys
from importlib import resources
from pathlib import Path

import msgspec.inspect

from casework.proceedings.schemas import ACTION_BODIES
from casework.proceedings.tracks import registry
from casework.proceedings.transitions import markdown_table


def _limits() -> list[dict]:
    raw = resources.files("casework.reference").joinpath("data", "time_limits.json").read_text("utf-8")
    return json.loads(raw)["time_limits"]


def states_table() -> str:
    lines = ["| state | 中文 | meaning | case status |", "|---|---|---|---|"]
    for s in registry().states.values():
        lines.append(f"| `{s.code}` | {s.label_zh} | {s.label_en} | `{s.status}` |")
    return "\n".join(lines)


def outcomes_table() -> str:
    lines = ["| track | 中文 | outcomes (代码：中文) | escalates to |", "|---|---|---|---|"]
    for t in registry().tracks.values():
        outcomes = "; ".join(f"`{o.code}`: {o.label_zh}" for o in t.outcomes) or "—"
        lines.append(f"| `{t.code}` | {t.label_zh} | {outcomes} | {', '.join(t.escalates_to) or '—'} |")
    return "\n".join(lines)


def limits_table() -> str:
    lines = ["| time limit | step | length | whose | starts on | stops on | at the end | source |",
             "|---|---|---|---|---|---|---|---|"]
    for lim in _limits():
        ext = f" (+{lim['extension_length']} {lim['extension_unit']})" if lim["extendable"] else ""
        lapse = lim["on_lapse"] + (f", then {', '.join(lim['then_starts'])}" if lim["then_starts"] else "")
        lines.append(
            f"| `{lim['code']}` | {lim['step_zh']} ({lim['step_en']}) | {lim['length']} {lim['unit']}{ext}"
            f"{' pausable' if lim['pausable'] else ''} | {lim['whose']} | {', '.join(lim['starts_on'])} "
            f"| {', '.join(lim['stops_on'])} | {lapse} | {lim['source']}{' (verify)' if lim['verify'] else ''} |")
    return "\n".join(lines)


def actions_table() -> str:
    lines = ["| action | fields (required in bold) |", "|---|---|"]
    for action, shape in ACTION_BODIES.items():
        info = msgspec.inspect.type_info(shape)
        fields = ", ".join(f"**{f.name}**" if f.required else f.name for f in info.fields)
        lines.append(f"| `{action}` | {fields} |")
    return "\n".join(lines)


SECTIONS = {"transitions": markdown_table, "states": states_table, "outcomes": outcomes_table,
            "limits": limits_table, "actions": actions_table}


def documented(text: str, name: str) -> str:
    return text.split(f"<!-- {name}:start -->\n", 1)[1].split(f"\n<!-- {name}:end -->", 1)[0]


def rewrite(path: Path) -> None:
    text = path.read_text("utf-8")
    for name, make in SECTIONS.items():
        text = re.sub(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)",
                      lambda m, body=make(): m.group(1) + body + "\n" + m.group(2),  # noqa: B008 - once per section
                      text, flags=re.DOTALL)
    path.write_text(text, "utf-8")


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    rewrite(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/proceedings.md"))
