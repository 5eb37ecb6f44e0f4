"""docs/proceedings.md shows the tables the code checks and the data it counts with."""

from pathlib import Path

import pytest

from casework.proceedings.docs import SECTIONS, documented


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_the_documented_tables_are_the_code_s(name):
    doc = (Path(__file__).parents[2] / "docs" / "proceedings.md").read_text("utf-8")
    assert documented(doc, name) == SECTIONS[name](), "regenerate: python -m casework.proceedings.docs"
