"""Build the DOCX templates shipped with casework, one per notice kind a body
issues (``python -m casework.documents.make_templates``).

Each is a plain A4 document with docxtpl's Jinja tags for the values a
notice is filled with (documents/generate.py names them all; an uploaded
replacement may use any of them and no others). The files are byte for
byte reproducible (fixed timestamps in the document and the zip), and
tests/documents/test_templates.py checks that the committed ones are what
this script makes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
import zipfile
from importlib import resources
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

FIXED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
OUT = Path(__file__).resolve().parent / "templates"

# What each notice says, in the words bodies use; {{ }} are filled from the case.
BODY_TEXT = {
    "acceptance_notice": "你（单位）于{{ received_on }}提出的{{ matter }}，本机关已于{{ issued_on }}依法受理。"
                         "{%- if body_clocks %}本机关将在{{ body_clocks[0].due_on }}前办结。{%- endif %}",
    "not_accepted_notice": "你（单位）提出的{{ matter }}，经审查，依法决定不予受理。理由：{{ reason }}。",
    "extension_notice": "你（单位）提出的{{ matter }}，因情况复杂，经本机关负责人批准，办理期限延长"
                        "{{ extension_days }}日。理由：{{ reason }}。",
    "supplement_notice": "你（单位）提出的{{ matter }}，申请材料不齐全或者表述不清楚，请自收到本通知书之日起"
                         "补正以下材料：{{ reason }}。",
    "petition_opinion": "你（单位）反映的{{ matter }}，本机关已依法办理。处理意见：{{ opinion }}。",
    "review_opinion": "你（单位）对{{ matter }}的处理意见不服，请求复查。经复查，意见如下：{{ opinion }}。",
    "re_review_opinion": "你（单位）对{{ matter }}的复查意见不服，请求复核。经复核，意见如下：{{ opinion }}。"
                         "同一事实和理由提出的信访事项，不再受理。",
    "mediation_agreement": "当事人就{{ matter }}自愿达成如下协议：{{ terms }}。本协议经双方当事人签名（盖章）、"
                           "人民调解员签名并加盖人民调解委员会印章后生效。",
    "mediation_ended_notice": "你（单位）与对方当事人之间的{{ matter }}，经调解未能达成协议，本次调解终止。",
    "guidance_notice": "你（单位）与对方当事人之间的{{ matter }}，经调解未能达成协议。你可以依法通过"
                       "{{ channels }}等途径维护自己的权利。",
    "arbitration_notice": "你（单位）提出的{{ matter }}，自收到调解申请之日起十五日内未能达成调解协议，"
                          "你可以依法向劳动人事争议仲裁委员会申请仲裁。",
    "reconsideration_decision": "申请人不服{{ matter }}，向本机关申请行政复议。本机关依法决定：{{ opinion }}。",
    "withdrawal_notice": "你（单位）申请撤回{{ matter }}，本机关同意，本案终止。",
    "legal_aid_decision": "你申请的法律援助事项（{{ matter }}），经审查，本中心决定：{{ opinion }}。",
}

PARAGRAPHS_BEFORE = ["{{ body_name }}", "{{ title }}", "{{ number }}", "",
                     "{{ addressee_name }}（送达地址：{{ addressee_address }}）："]
PARAGRAPHS_AFTER = [
    "{%p for window in party_windows %}",
    ("如不服，可以自收到本{{ title }}之日起{{ window.length }}{{ window.unit_zh }}内{{ window.step_zh }}"
     "（依据：{{ window.source }}）。"),
    "{%p endfor %}",
    "{%p for clock in body_clocks %}",
    ("{{ clock.step_zh }}：{{ clock.length }}{{ clock.unit_zh }}，自{{ clock.started_on }}起算，"
     "至{{ clock.due_on }}止（依据：{{ clock.source }}）。"),
    "{%p endfor %}",
    "法律依据：{{ legal_basis }}",
    "当事人：",
    "{%p for party in parties %}",
    "{{ party.role_zh }}：{{ party.name }}，地址：{{ party.address }}",
    "{%p endfor %}",
    "案件编号：{{ reference }}",
    "",
    "{{ body_name }}",
    "{{ issued_on }}",
    "",
    "送达回证",
    "受送达人：{{ addressee_name }}　文书：{{ title }}（{{ number }}）",
    "送达方式：__________　送达日期：__________　受送达人签名：__________",
]


def kinds() -> list[dict]:
    raw = resources.files("casework.notices").joinpath("data/notice_kinds.json").read_text("utf-8")
    return [k for k in json.loads(raw)["kinds"] if k.get("generated", True)]


def build(kind: dict) -> bytes:
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.size = Pt(14)
    for index, text in enumerate([*PARAGRAPHS_BEFORE, BODY_TEXT[kind["code"]], *PARAGRAPHS_AFTER]):
        paragraph = document.add_paragraph(text)
        if index < 3:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    properties = document.core_properties
    properties.title, properties.author, properties.comments = kind["name_zh"], "casework", kind["code"]
    properties.created = properties.modified = FIXED
    properties.last_modified_by, properties.revision = "casework", 1
    raw = io.BytesIO()
    document.save(raw)
    return normalized(raw.getvalue())


def normalized(blob: bytes) -> bytes:
    """The same zip with every entry's time fixed, so a build is byte for byte repeatable."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def build_all() -> dict[str, bytes]:
    return {kind["code"]: build(kind) for kind in kinds()}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for code, blob in build_all().items():
        (OUT / f"{code}.docx").write_bytes(blob)
        print(f"{code}.docx {len(blob)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
