"""Checks for resident identity numbers and phone numbers.

``stdnum.cn.ric.validate`` also ties the region code to the birth year and
refuses real numbers issued under codes since retired (DOMAIN.md), so only
its pieces are used here: the check character and the birth date.
"""

from __future__ import annotations

import datetime as dt
import re

from stdnum.cn import ric

_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
# Mainland mobile numbers (1[3-9]x, 11 digits) or landlines with an area code.
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE = re.compile(r"^0[1-9][0-9]{1,2}-?[0-9]{7,8}$")


def normalize_id_number(value: str) -> str:
    return value.strip().upper()


def id_number_problem(value: str, today: dt.date | None = None) -> str | None:
    """Return why ``value`` is not a valid 18-character ID number, or None."""
    number = normalize_id_number(value)
    if len(number) != 18:
        return "must have 18 characters"
    if not _ID_SHAPE.match(number):
        return "must be 17 digits and a check character (0-9 or X)"
    try:
        born = ric.get_birth_date(number)
    except Exception:  # noqa: BLE001 - stdnum raises several kinds for an impossible date
        return "contains an impossible birth date"
    if born > (today or dt.date.today()) or born.year < 1880:
        return "contains an impossible birth date"
    if ric.calc_check_digit(number) != number[-1]:
        return "check character does not match"
    return None


def normalize_phone(value: str) -> str:
    digits = re.sub(r"[\s()]", "", value)
    digits = digits.removeprefix("+86")
    return digits


def phone_problem(value: str) -> str | None:
    phone = normalize_phone(value)
    if _MOBILE.match(phone) or _LANDLINE.match(phone):
        return None
    return "must be an 11-digit mobile number or a landline with its area code"


def mask_id_number(number: str) -> str:
    return number[:6] + "*" * 8 + number[-4:]


def mask_phone(phone: str) -> str:
    if len(phone) == 11 and phone.startswith("1"):
        return phone[:3] + "****" + phone[-4:]
    return phone[:4] + "*" * max(len(phone) - 6, 0) + phone[-2:]


# Names of people and organizations: letters of any script, combining
# marks, digits (organization names carry them), spaces, and the punctuation
# names really use: the middle dot of transcribed minority and foreign names
# (买买提·艾力), full-width brackets of branch names (（第2分公司）), and a few
# more. Emoji, symbols, control and invisible format characters (bidi
# overrides, zero-width spaces) and markup or SQL punctuation are refused:
# no real name holds them, and they are how a name is made to look like
# another or to break whatever displays it.
_NAME_PUNCTUATION = set(" \u3000·・.．'’-‐–()（）&,，、/")
_CONFUSABLE_SCRIPTS = {"LATIN", "CYRILLIC", "GREEK"}


def _script(char: str) -> str | None:
    import unicodedata

    if not char.isalpha():
        return None
    first = unicodedata.name(char, "").split(" ", 1)[0]
    return first if first in _CONFUSABLE_SCRIPTS else None


def name_problem(value: str) -> str | None:
    """Return why ``value`` is not a plausible name of a person or body, or None."""
    import unicodedata

    for char in value:
        category = unicodedata.category(char)
        if category[0] in "LM" or category == "Nd" or char in _NAME_PUNCTUATION:
            continue
        return f"must not contain {unicodedata.name(char, f'U+{ord(char):04X}').lower()}"
    # A word mixing Latin with Cyrillic or Greek letters ("Ivаn" with a
    # Cyrillic а) is a homoglyph of another name; Han beside Latin is not.
    for word in re.split(r"[\s·・.．'’\-‐–()（）&,，、/]+", value):
        scripts = {s for s in map(_script, word) if s}
        if len(scripts) > 1:
            return f"mixes {' and '.join(sorted(s.title() for s in scripts))} letters in one word"
    return None
