"""The Piccolo tables: only those the admin screen (piccolo_admin) edits.

The schema's source of truth is the SQL in migrations/ (docs/architecture.md
says why: the hot paths are hand-written SQL, measured by the benchmarks).
These classes exist only because piccolo_admin needs them, and
tests/test_piccolo_tables.py compares each with ``information_schema`` so
a migration that changes a column fails CI until the class follows.

Reference tables whose key is natural (a code, a year, a day):

PiccoloCRUD, under piccolo_admin, never takes the primary key from a form
(it assumes the database makes it), so a table keyed by ``code`` or ``day``
could not get a new row there: a new holiday would be saved on today's
date. These classes map the same tables with the surrogate ``admin_id``
identity column (added by migration 2026-11-27T05:10) as their primary key
and the natural key as an ordinary required, unique column. Bodies and
routing rules have a serial ``id`` already.
"""

from piccolo.columns import JSONB, Array, Boolean, Date, Integer, Serial, SmallInt, Text
from piccolo.table import Table


class DivisionEntry(Table, tablename="division"):
    admin_id = Serial(primary_key=True)
    code = Text(unique=True, required=True, help_text="12-digit statistical division code")
    name_zh = Text(required=True)
    name_en = Text(default="")
    level = SmallInt(required=True, help_text="1 province, 2 city, 3 county, 4 township, 5 village")
    parent_code = Text(null=True, default=None)
    prefix = Text(required=True, help_text="significant prefix: 2/4/6/9/12 digits by level")


class CategoryEntry(Table, tablename="category"):
    admin_id = Serial(primary_key=True)
    code = Text(unique=True, required=True)
    label_zh = Text(required=True)
    label_en = Text(required=True)
    civil = Boolean(default=False)
    law_related = Boolean(default=False)
    position = Integer(default=0)
    source = Text(default="")


class TimeLimitEntry(Table, tablename="time_limit"):
    admin_id = Serial(primary_key=True)
    code = Text(unique=True, required=True)
    track = Text(required=True)
    step_zh = Text(required=True)
    step_en = Text(required=True)
    length = Integer(required=True)
    unit = Text(required=True, help_text="days | working_days | months | years")
    start_event = Text(required=True)
    starts_on = Array(base_column=Text(), default=list, help_text="events that start it (docs/proceedings.md)")
    stops_on = Array(base_column=Text(), default=list)
    whose = Text(default="body", help_text="body | party | court")
    on_lapse = Text(default="breach", help_text="breach | close | deemed_accepted | deemed_withdrawn")
    then_starts = Array(base_column=Text(), default=list)
    record = Text(null=True, default=None)
    pausable = Boolean(default=False)
    extendable = Boolean(default=False)
    extension_length = Integer(default=0)
    extension_unit = Text(default="days")
    extension_approver = Text(default="")
    party_window = Boolean(default=False)
    source = Text(required=True, help_text="the statute and article")
    verify = Boolean(default=False)
    note = Text(default="")


class CalendarYearEntry(Table, tablename="calendar_year"):
    admin_id = Serial(primary_key=True)
    year = Integer(unique=True, required=True)
    source = Text(required=True, help_text="the State Council notice for that year")
    complete = Boolean(default=True)


class CalendarDayEntry(Table, tablename="calendar_day"):
    admin_id = Serial(primary_key=True)
    day = Date(unique=True, required=True, default=None)
    kind = Text(required=True, help_text="holiday | workday (an adjusted working weekend)")
    name = Text(default="")
    source = Text(default="")


class PublicReasonEntry(Table, tablename="public_reason"):
    admin_id = Serial(primary_key=True)
    code = Text(unique=True, required=True)
    position = Integer(default=0)
    label_zh = Text(required=True)
    label_en = Text(required=True)
    text_zh = Text(required=True, help_text="what the party is told")
    text_en = Text(required=True)
    source = Text(required=True, help_text="the statute and article")
    active = Boolean(default=True)


class Body(Table):
    """A handling body: mediation committee, department, court, bureau..."""

    code = Text(unique=True)
    name_zh = Text()
    name_en = Text(default="")
    kind = Text(help_text="a body kind of proceedings/data/tracks.json")
    division_code = Text(required=True, help_text="12-digit division code")
    level = SmallInt()
    remit = Array(base_column=Text(), default=list)
    active = Boolean(default=True)
    superior_code = Text(null=True, default=None, help_text="the body a review of this body's opinions goes to")


class RoutingRule(Table):
    """One ordered routing rule: conditions (JSON) and a track + body kind."""

    code = Text(unique=True)
    position = Integer()
    conditions = JSONB(default={})
    track = Text()
    body_kind = Text()
    body_max_level = SmallInt(null=True)
    reason_zh = Text()
    reason_en = Text()
    source = Text(default="")
    active = Boolean(default=True)


ADMIN_TABLES = (DivisionEntry, CategoryEntry, TimeLimitEntry, CalendarYearEntry, CalendarDayEntry,
                PublicReasonEntry, Body, RoutingRule)
