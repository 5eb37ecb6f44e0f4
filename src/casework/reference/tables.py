"""Reference data: administrative divisions, handling bodies, categories."""

from piccolo.columns import Array, Boolean, ForeignKey, Integer, SmallInt, Text
from piccolo.columns.base import OnDelete
from piccolo.table import Table


class Division(Table):
    """A statistical division; ``code`` is 12 digits, hierarchical by prefix."""

    code = Text(primary_key=True)
    name_zh = Text()
    name_en = Text(default="")
    level = SmallInt()  # 1 province, 2 city, 3 county, 4 township, 5 village
    parent_code = ForeignKey("self", on_delete=OnDelete.restrict, null=True, target_column="code")
    prefix = Text()


class Category(Table):
    code = Text(primary_key=True)
    label_zh = Text()
    label_en = Text()
    civil = Boolean(default=False)
    law_related = Boolean(default=False)
    position = Integer(default=0)
    source = Text(default="")


class Body(Table):
    """A handling body: mediation committee, department, court, bureau..."""

    code = Text(unique=True)
    name_zh = Text()
    name_en = Text(default="")
    kind = Text()
    division_code = ForeignKey(Division, on_delete=OnDelete.restrict, null=False)
    level = SmallInt()
    remit = Array(base_column=Text(), default=list)
    active = Boolean(default=True)
    superior_code = Text(null=True, default=None, help_text="the body a review of this body's opinions goes to")
