from pathlib import Path

from casework.proceedings.transitions import markdown_table


def test_the_documented_transition_tables_are_the_ones_the_code_checks():
    doc = (Path(__file__).parents[2] / "docs" / "proceedings.md").read_text()
    documented = doc.split("<!-- transitions:start -->\n", 1)[1].split("\n<!-- transitions:end -->", 1)[0]
    assert documented == markdown_table()
