"""User text never becomes code, a path or a formula: one quoting function per place it can reach."""

import ast
import csv
import io
import runpy
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder import parse_design
from builder.model.codegen import to_python
from builder.data import read_csv, suggest_design
from builder.data import dataset_bytes
from builder.report.files import data_file_name, history_csv
from builder.report.script import training_script
from builder.quoting import file_stem, quoted, spreadsheet_cell, unguarded
from builder.report.snippet import predict_snippet

TOUCH = '__import__("os").system("touch PWNED")'
FRAGMENTS = ['"""', "'''", '"', "'", "\\", "\\x", "\n", "\r\n", "\u2028", "\x00", "#", "{", "}", "%s", "{0}",
             "\\N{", TOUCH, "exec(", ") if 1 else (", "\t", "é", "/", "..", "=", "+", "-", "@"]
hostile = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), min_size=1, max_size=6).map("".join)


def _design(name: str, column: str, category: str, target: str, label: str):
    column = column[:200] or "c"
    other = "b" if column != "b" else "c"
    return parse_design({
        "name": name[:200],
        "input": {"kind": "table", "columns": [{"name": column, "kind": "numeric"},
                                               {"name": other, "kind": "categorical", "vocabulary": [category[:200]]}]},
        "trunk": [{"type": "Dense", "id": "shared", "units": 4, "activation": "relu"}],
        "heads": [{"name": "kind", "target": target[:200], "kind": "binary", "classes": ["no", label[:200] or "yes"],
                   "output": {"units": 1, "activation": "sigmoid"}, "loss": "binary_crossentropy"},
                  {"name": "amount", "target": "amount", "kind": "regression"}],
    })


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile, column=hostile, category=hostile, target=hostile, label=hostile, data=hostile)
def test_generated_code_for_hostile_names_compiles_and_keeps_every_name_a_value(name, column, category, target,
                                                                                 label, data):
    design = _design(name, column, category, target, label)
    for code in (training_script(design, data), to_python(design), predict_snippet(design, data, {column: 1.0})):
        module = ast.parse(code)          # a SyntaxError fails the test
        compile(module, "generated.py", "exec")
        assert not [node for node in ast.walk(module) if isinstance(node, ast.Call)
                    and getattr(node.func, "id", "") in ("exec", "eval", "__import__")]
    script = ast.parse(training_script(design, data))
    values = {n.targets[0].id: ast.literal_eval(n.value) for n in script.body
              if isinstance(n, ast.Assign) and n.targets[0].id in ("DESIGN_NAME", "DATA")}
    assert values == {"DESIGN_NAME": design.name, "DATA": data or "data.csv"}


@pytest.mark.parametrize("name", [
    'a""" if __import__("os").system("touch PWNED") else """.csv',
    "bad\\xZZ.csv",
    f"x'''\n{TOUCH}\n'''",
    f"\n{TOUCH}  # \u2028",
])
def test_running_help_executes_nothing_but_the_script(tmp_path, name):
    design = _design(name, name, name, name, name)
    script = tmp_path / "train.py"
    script.write_text(training_script(design, name))
    done = subprocess.run([sys.executable, str(script), "--help"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("usage: train.py")
    assert not (tmp_path / "PWNED").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.py"]


def test_download_names_go_through_one_cleaner():
    design = _design('../a""" b\\x.csv', "c", "v", "t", "l")
    assert file_stem(design.name) == "a_b_x_csv"
    from builder.model.build import model_name
    from builder.report.files import file_stem as export_stem
    from builder.report.script import script_name

    assert model_name(design) == export_stem(design) == "a_b_x_csv"
    assert script_name(design) == "train_a_b_x_csv.py"
    assert file_stem("...") == "model" and file_stem("Größe") == "Grosse"


def test_quoted_values_read_back_exactly():
    for value in ["", "it's", 'a"""b', "\\", "\x00\u2028", 1.5, float("nan"), [1, "x"], ("a",), {"k": None}]:
        back = eval(quoted(value), {"__builtins__": {"float": float}})
        assert back == value or (value != value and back != back)
    with pytest.raises(TypeError):
        quoted(object())


# -------------------------------------------------------------- spreadsheets

FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(A1)", "-2+3", "@A1", "'quoted", "plain"]


def test_formula_cells_are_neutralised_but_negative_numbers_stay_numbers(tmp_path):
    rows = "".join(f"{f},{-1.5 * (i + 1)},{i % 2}\n" for i, f in enumerate(FORMULAS))
    dataset = read_csv(("=label,amount,flag\n" + rows).encode(), name="formulas.csv")
    text = dataset_bytes(dataset).decode()
    cells = list(csv.reader(io.StringIO(text)))
    assert cells[0] == ["'=label", "amount", "flag"]
    assert [row[0] for row in cells[1:7]] == ["'=cmd|' /C calc'!A0", "'+SUM(A1)", "'-2+3", "'@A1", "''quoted", "plain"]
    assert [row[1] for row in cells[1:7]] == ["-1.5", "-3.0", "-4.5", "-6.0", "-7.5", "-9.0"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in cells for cell in row
               if not _is_number(cell))
    assert [unguarded(spreadsheet_cell(f)) for f in FORMULAS] == FORMULAS


def test_the_script_reads_the_guarded_file_back_to_the_values_the_app_trained_on(tmp_path):
    rows = "".join(f"{f},{-1.5 * (i + 1)},{['a', 'b'][i % 2]}\n" for i, f in enumerate(FORMULAS * 3))
    dataset = read_csv(("=label,amount,kind\n" + rows).encode(), name="formulas.csv")
    design = suggest_design(dataset, ["kind"], inputs=["=label", "amount"])
    path = tmp_path / data_file_name(design, dataset)
    path.write_bytes(dataset_bytes(dataset))
    (tmp_path / "train.py").write_text(training_script(design, path.name))
    script = runpy.run_path(str(tmp_path / "train.py"), run_name="imported")
    x, raw = script["load_data"](str(path))
    assert [v[0] for v in x["=label"]] == FORMULAS * 3
    assert [float(v[0]) for v in x["amount"]] == [-1.5 * (i + 1) for i in range(18)]
    assert list(raw["kind"]) == ["a", "b"] * 9


def test_history_csv_header_cannot_start_a_formula():
    assert history_csv({"loss": [1.0], "=x_loss": [2.0]}).splitlines()[0] == "epoch,loss,'=x_loss"


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
