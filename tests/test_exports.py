import csv
import io

from facilitator.exports import safe_cell, to_csv


def test_cells_that_would_start_a_formula_are_defused():
    for hostile in ("=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\tx", "\rx", "\nx"):
        assert safe_cell(hostile) == "'" + hostile
    assert safe_cell("A plain answer") == "A plain answer"
    assert safe_cell(-3) == -3 and safe_cell(None) == ""


def test_csv_round_trips_with_quotes_commas_and_newlines():
    text = to_csv(["name", "note"], [["O'Brien, \"Pat\"", "line one\nline two"], ["=cmd|' /C calc'!A0", 2]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "note"], ["O'Brien, \"Pat\"", "line one\nline two"], ["'=cmd|' /C calc'!A0", "2"]]
