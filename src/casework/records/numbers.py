"""Court case numbers (案号), e.g. ``（2026）晋0403民初123号``.

The form follows the Supreme People's Court rules on case numbers (关于人民法院
案件案号的若干规定, 2015): (year) + court code + type code + serial + 号. The
court code is the province abbreviation and up to four digits (晋 high court,
晋04 intermediate, 晋0403 basic court) or 最高法. The type codes and the case
type each implies are data with their source (``data/case_type_codes.json``).
No library parses these; the check is written here by hand.

Three forms of one number:

- as given: what the user or the court's system typed, kept as it came
  (trimmed), e.g. ``（2026）晋0403民初123号`` or ``(2026)晋0403民初123号``;
- the key: ASCII parentheses, no spaces, half-width digits, e.g.
  ``(2026)晋0403民初123号``: what records are looked up and matched by, and
  what case events carry (the key of rows stored before this version);
- the display form: full-width parentheses, as printed on court documents,
  e.g. ``（2026）晋0403民初123号``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

PROVINCES = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新兵"

_PATTERN = re.compile(
    r"^\((?P<year>\d{4})\)"
    rf"(?P<court>最高法|[{PROVINCES}]\d{{0,4}})"
    r"(?P<type>[\u4e00-\u9fff]{1,5})"
    r"(?P<serial>[1-9]\d{0,7})号$"
)
# Brackets seen around the year: ASCII, full-width, and the hexagonal ones of
# document numbers (〔〕) that are often typed for case numbers too.
_OPENING, _CLOSING = "(（〔[［", ")）〕]］"


@dataclass(frozen=True)
class TypeCode:
    code: str
    case_type: str  # civil | administrative | enforcement | criminal
    name_zh: str
    name_en: str
    use: str  # lawsuit | pre_filing_mediation
    verify: bool


@lru_cache(maxsize=1)
def type_codes() -> dict[str, TypeCode]:
    raw = json.loads(resources.files("casework.records").joinpath("data", "case_type_codes.json")
                     .read_text("utf-8"))
    return {row["code"]: TypeCode(row["code"], row["case_type"], row["name_zh"], row["name_en"], row["use"],
                                  row["verify"]) for row in raw["codes"]}


@dataclass(frozen=True)
class CaseNumber:
    text: str  # the key, e.g. (2026)晋0403民初123号
    given: str
    year: int
    court: str
    type_code: str
    serial: int

    @property
    def key(self) -> str:
        return self.text

    @property
    def display(self) -> str:
        return display(self.text)

    @property
    def type(self) -> TypeCode:
        return type_codes()[self.type_code]

    @property
    def case_type(self) -> str:
        return self.type.case_type

    @property
    def pre_filing_mediation(self) -> bool:
        return self.type.use == "pre_filing_mediation"


def normalize(raw: str) -> str:
    """The key: ASCII parentheses, half-width digits, no spaces."""
    text = "".join(ch for ch in unicodedata.normalize("NFKC", raw) if not ch.isspace())
    for opening in _OPENING:
        text = text.replace(opening, "(")
    for closing in _CLOSING:
        text = text.replace(closing, ")")
    return text


def display(key: str) -> str:
    """The printed form: full-width parentheses around the year."""
    return key.replace("(", "（").replace(")", "）")


def parse(raw: str, *, max_year: int) -> CaseNumber:
    """The parsed number, or ValueError saying what is wrong."""
    text = normalize(raw)
    found = _PATTERN.match(text)
    if found is None:
        raise ValueError("must look like （2026）晋0403民初123号: (year), court code, type code, serial, 号")
    year = int(found["year"])
    if not 1990 <= year <= max_year:
        raise ValueError(f"year {year} is not between 1990 and {max_year}")
    if found["type"] not in type_codes():
        raise ValueError(f"unknown type code {found['type']} (the known ones are listed in "
                         f"records/data/case_type_codes.json)")
    return CaseNumber(text=text, given=raw.strip(), year=year, court=found["court"], type_code=found["type"],
                      serial=int(found["serial"]))


def type_code_of(key: str) -> str:
    """The type code of a stored key ("" when it no longer parses, e.g. a
    code since taken out of the data)."""
    found = _PATTERN.match(key)
    return found["type"] if found else ""
