"""CSV ingestion on real files: detection, profiles, and one clear DataError per bad-input case."""

import re
from pathlib import Path

import pytest
import numpy as np

from builder.cli import main
from builder.data import read_csv
from builder.errors import DataError

DATA = Path(__file__).parent / "data"


def kinds(dataset):
    return {p.name: (p.kind, p.role) for p in dataset.profile}


# ------------------------------------------------------------ good files

def test_semicolon_latin1_with_accented_names():
    ds = read_csv(DATA / "semicolon_latin1.csv")
    assert ds.columns == ["région", "température (°C)", "catégorie"]
    assert "semicolon-separated, latin-1" in ds.source
    assert kinds(ds)["température (°C)"] == ("numeric", "input")
    assert ds.column("catégorie").values == ["hiver", "été"]


def test_tab_separated_with_byte_order_mark():
    ds = read_csv(DATA / "bom_tab.tsv")
    assert ds.columns == ["a", "b", "label"]          # no BOM stuck to the first name
    assert "tab-separated, utf-8-sig" in ds.source
    assert kinds(ds)["a"] == ("id", "ignore")          # 0, 1, 2, ...: a row number
    assert kinds(ds)["label"] == ("binary", "input")


def test_quoted_fields_with_separators_quotes_and_line_breaks():
    ds = read_csv(DATA / "quoted.csv")
    assert len(ds.frame) == 30
    assert ds.frame["name"][3] == "Smith, J3"
    assert ds.frame["comment"][0] == 'said "hi"\nthen left'
    assert kinds(ds)["comment"][1] == "ignore" and "constant" in ds.column("comment").reason


def test_bytes_and_text_are_read_like_files():
    assert read_csv(b"a,b\n1,x\n2,y\n3,x\n").rows == 3
    assert read_csv("a,b\n1,x\n2,y\n").columns == ["a", "b"]


def test_profile_kinds_and_reasons():
    ds = read_csv(DATA / "kinds.csv")
    assert kinds(ds) == {
        "id": ("id", "ignore"), "when": ("datetime", "input"), "note": ("text", "input"),
        "flag": ("binary", "input"), "colour": ("categorical", "input"), "amount": ("numeric", "input"),
        "constant": ("categorical", "ignore"),
    }
    assert ds.column("colour").distinct == 4 and ds.column("colour").missing == 0
    assert "constant" in ds.column("constant").reason
    assert "free text" in ds.column("note").reason
    assert ds.default_inputs(["amount"]) == ["when", "note", "flag", "colour"]


def test_penguins_profile_counts_missing_values():
    ds = read_csv(Path(__file__).parents[1] / "builder" / "data" / "penguins.csv")
    assert ds.rows == 344
    assert ds.column("sex").missing == 11 and ds.column("sex").kind == "binary"
    assert ds.column("body_mass_g").missing == 2 and ds.column("body_mass_g").kind == "numeric"
    assert ds.column("species").values == ["Adelie", "Gentoo", "Chinstrap"]   # most frequent first


def test_awkward_column_names_are_kept_as_written():
    ds = read_csv(DATA / "awkward_names.csv")
    assert ds.columns == ["Body Mass (g)", "Größe", "île name", "flipper length", "Species (label)"]


# ------------------------------------------------------------- bad files

BAD = [
    ("empty.csv", r"is empty\. Upload a CSV file with a header row"),
    ("header_only.csv", r"has a header row \(a, b, c\) but no data rows"),
    ("binary.csv", r"is a binary file, not CSV text\. Open it in a spreadsheet and save it as CSV"),
    ("workbook.xlsx", r"is a zip archive \(an \.xlsx workbook is one\), not a CSV text file"),
    ("single_column.csv", r"has a single column \('value'\)\. A model needs at least one input column"),
    ("duplicate_columns.csv", r"has duplicate column names: 'a'\. Each column needs its own name"),
    ("ragged.csv", r"has ragged rows: line 4 has 4 fields but the header has 3\. Make every row"),
    ("ragged_short.csv", r"has ragged rows: line 3 has 2 fields but the header has 3"),
    ("no_header.csv", r"holds numbers \(0\.5, 0\.25, 0\), not column names\. Add a header row"),
]


@pytest.mark.parametrize("name, message", BAD, ids=[b[0] for b in BAD])
def test_bad_file_gives_one_clear_message(name, message):
    with pytest.raises(DataError, match=message):
        read_csv(DATA / name)


@pytest.mark.parametrize("name, message", BAD, ids=[b[0] for b in BAD])
def test_bad_file_in_cli_is_a_message_and_exit_2(name, message, capsys):
    assert main(["suggest", str(DATA / name), "--targets", "a"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert re.search(message, err)


def test_file_over_the_size_limit():
    with pytest.raises(DataError, match=r"is 202 bytes; the limit is 100 bytes\. Upload a sample of the rows, "
                                        r"or raise the limit"):
        read_csv(DATA / "single_class.csv", max_bytes=100)


def test_by_default_a_file_one_byte_over_200_mb_is_refused_before_reading(tmp_path):
    big = tmp_path / "big.csv"
    with open(big, "wb") as f:          # a sparse file: 200 MB on paper, nothing written to disk
        f.write(b"a,b\n1,2\n")
        f.truncate(200 * 2**20 + 1)
    with pytest.raises(DataError, match=r"is 209,715,201 bytes, just over; the limit is 200\.0 MB"):
        read_csv(big)


def test_junk_in_a_numeric_column_is_reported_and_treated_as_missing():
    ds = read_csv(DATA / "junk_numeric.csv")
    assert ds.column("weight").kind == "numeric"
    assert ds.frame["weight"].isna().sum() == 2
    assert ds.warnings == ["column 'weight': 2 value(s) that are not numbers (such as 'abc', 'n/a?') are treated "
                           "as missing. Fix them in the file if they are real values."]
    assert "treated as missing" in ds.column("weight").reason


def test_junk_in_a_numeric_column_can_be_refused():
    with pytest.raises(DataError, match=r"column 'weight' .* holds numbers except for 2 value\(s\) such as "
                                        r"'abc', 'n/a\?'\. Fix or delete those values"):
        read_csv(DATA / "junk_numeric.csv", on_junk="error")


def test_missing_path_is_a_data_error():
    with pytest.raises(DataError, match=r"cannot read .*nope\.csv.*Check the path"):
        read_csv(DATA / "nope.csv")


def test_a_late_row_that_breaks_the_first_blocks_types_still_reads(monkeypatch):
    from builder.data import arrowstream

    monkeypatch.setattr(arrowstream, "STREAM_BLOCK", 1024)      # types come from the first block only
    text = "n,label\n" + "".join(f"{i % 97},{'x' if i % 2 else 'y'}\n" for i in range(2000)) + "oops,x\n"
    ds = read_csv(text.encode())
    assert ds.rows == 2001 and ds.column("n").kind == "numeric"
    assert ds.warnings == ["column 'n': 1 value(s) that are not numbers (such as 'oops') are treated as missing. "
                           "Fix them in the file if they are real values."]


def test_ragged_row_beyond_the_first_block_is_found(monkeypatch):
    from builder.data import arrowstream

    monkeypatch.setattr(arrowstream, "STREAM_BLOCK", 1024)
    text = "a,b\n" + "".join(f"{i},{i}\n" for i in range(1000)) + "1,2,3\n"
    with pytest.raises(DataError, match=r"line 1002 has 3 fields but the header has 2"):
        read_csv(text.encode())


def test_decimal_commas_in_a_semicolon_file_are_numbers():
    ds = read_csv("price;weight;label\n1,5;1.234,5;x\n2,25;17;y\n-3,0;2,5;x\n4;3,75;y\n".encode())
    assert ds.frame["price"].tolist() == [1.5, 2.25, -3.0, 4.0]
    assert ds.frame["weight"].tolist() == [1234.5, 17.0, 2.5, 3.75]
    assert ds.column("price").kind == "numeric" and ds.column("label").kind == "binary"


def test_a_latin1_byte_after_the_sniffed_start_reads_as_latin1(tmp_path):
    rows = ["id,price,city"] + [f"{i},{i * 0.5},city{i % 7}" for i in range(5000)] + ["5001,1.0,Montr\xe9al"]
    path = tmp_path / "late_latin1.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode("latin-1"))
    dataset = read_csv(path)
    assert dataset.frame["city"].iloc[-1] == "Montréal"
    assert dataset.source.endswith("latin-1")


@pytest.mark.parametrize("late", ["", "2.5,x\n"])
def test_a_file_parsed_in_byte_ranges_reads_as_pandas_does(monkeypatch, tmp_path, late):
    """Large files are parsed a byte range per thread, every range typed from the file's first lines;
    a later float in a column typed whole numbers still reads (the file is read again another way)."""
    import pandas as pd

    from builder.data import arrowstream

    monkeypatch.setattr(arrowstream, "SPLIT_BYTES", 2048)
    monkeypatch.setattr(arrowstream, "SCHEMA_BYTES", 1024)
    monkeypatch.setattr(arrowstream, "STREAM_BLOCK", 1024)
    path = tmp_path / "long.csv"
    path.write_text("n,label\n" + "".join(f"{i},{'x' if i % 3 else 'y'}\n" for i in range(3000)) + late)
    ds = read_csv(path)
    expected = pd.read_csv(path)
    assert ds.rows == len(expected) == 3000 + bool(late)
    np.testing.assert_array_equal(ds.frame["n"].to_numpy(dtype=float), expected["n"].to_numpy(dtype=float))
    assert ds.frame["label"].astype(str).tolist() == expected["label"].tolist()
