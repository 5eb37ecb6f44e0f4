"""Court case numbers (案号), e.g. ``(2026)晋0403民初123号``.

The form follows the Supreme People's Court rules on case numbers (关于人民法院
案件案号的若干规定, 2015, revised 2018): (year) + court code + type code + serial
+ 号. The court code is the province abbreviation and up to four digits
(晋 high court, 晋04 intermediate, 晋0403 basic court) or 最高法. No library
parses these; the check is written here by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PROVINCES = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新兵"

# Type codes in use for the suits this service links, by the case type they imply.
TYPE_CODES: dict[str, str] = {
    "民初": "civil", "民终": "civil", "民再": "civil", "民申": "civil", "民特": "civil", "民辖": "civil",
    "民撤": "civil",
    "行初": "administrative", "行终": "administrative", "行再": "administrative", "行申": "administrative",
    "行审": "administrative",
    "执": "enforcement", "执恢": "enforcement", "执异": "enforcement", "执复": "enforcement",
    "执保": "enforcement", "执监": "enforcement",
    "刑初": "criminal", "刑终": "criminal", "刑再": "criminal", "刑申": "criminal",
}

_PATTERN = re.compile(
    r"^\((?P<year>\d{4})\)"
    rf"(?P<court>最高法|[{PROVINCES}]\d{{0,4}})"
    r"(?P<type>[\u4e00-\u9fff]{1,2})"
    r"(?P<serial>[1-9]\d{0,7})号$"
)


@dataclass(frozen=True)
class CaseNumber:
    text: str
    year: int
    court: str
    type_code: str
    serial: int

    @property
    def case_type(self) -> str:
        return TYPE_CODES[self.type_code]


def normalize(raw: str) -> str:
    """Full-width parentheses (the printed form) become ASCII; spaces go."""
    return raw.strip().replace("（", "(").replace("）", ")").replace(" ", "").replace("\u3000", "")


def parse(raw: str, *, max_year: int) -> CaseNumber:
    """The parsed number, or ValueError saying what is wrong."""
    text = normalize(raw)
    found = _PATTERN.match(text)
    if found is None:
        raise ValueError("must look like (2026)晋0403民初123号: (year), court code, type code, serial, 号")
    year = int(found["year"])
    if not 1990 <= year <= max_year:
        raise ValueError(f"year {year} is not between 1990 and {max_year}")
    if found["type"] not in TYPE_CODES:
        raise ValueError(f"unknown type code {found['type']}")
    return CaseNumber(text=text, year=year, court=found["court"], type_code=found["type"],
                      serial=int(found["serial"]))
