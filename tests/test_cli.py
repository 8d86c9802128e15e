"""``python -m builder``: output, exit codes, and no tracebacks; and a package that imports fast."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from builder import template
from builder.cli import main
from builder.design.templates import TEMPLATE_NAMES, describe

ROOT = Path(__file__).resolve().parents[1]

HEAVY_MODULES = ("tensorflow", "keras", "streamlit")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """The CLI as a user runs it, in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", "builder", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


@pytest.fixture
def write_design(tmp_path):
    def write(data, name="design.json"):
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else json.dumps(data))
        return str(path)
    return write


def heavy_modules_after(imports: str) -> str:
    code = f"import sys, {imports}; print([m for m in sys.modules if m.split('.')[0] in {HEAVY_MODULES!r}])"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_builder_loads_no_heavy_framework():
    assert heavy_modules_after("builder, builder.model.build, builder.model.codegen") == "[]"


def test_cli_starts_without_tensorflow():
    # `python -m builder templates` should answer at once, whatever subcommands register.
    assert heavy_modules_after("builder.cli") == "[]"


def test_templates_lists_names_with_descriptions(capsys):
    assert main(["templates"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(TEMPLATE_NAMES)
    for line, name in zip(lines, TEMPLATE_NAMES):
        assert line.split()[0] == name
        assert line.endswith(describe(name))


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_template_prints_the_design_as_json(capsys, name):
    assert main(["template", name]) == 0
    assert json.loads(capsys.readouterr().out) == template(name).model_dump()


def test_unknown_template_exits_2_naming_the_choices(capsys):
    assert main(["template", "resnet"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("no template named 'resnet'. Choose one of: seed-multi-regression, seed-image-class-reg, "
                            "seed-sequence-two-heads.\n")


@pytest.mark.parametrize("name, total", [("seed-multi-regression", 2883), ("seed-image-class-reg", 463307),
                                         ("seed-sequence-two-heads", 112710)])
def test_summary_table_ends_with_the_total(capsys, write_design, name, total):
    assert main(["summary", write_design(template(name).to_json())]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == f"Total params: {total}"
    assert lines[0].startswith("Layer (type)")
    assert any(line.startswith("input (Input)") for line in lines)
    for head in template(name).heads:
        assert any(line.startswith(f"{head.name} (Dense)") for line in lines)


def test_summary_shows_shapes_and_counts(capsys, write_design):
    main(["summary", write_design(template("seed-image-class-reg").to_json())])
    conv1 = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("conv1 "))
    assert conv1.split()[-4:] == ["(30,", "30,", "32)", "896"]


def test_summary_of_a_design_with_warnings_still_prints_the_table(capsys, write_design):
    data = template("seed-multi-regression").model_dump()
    data["heads"][0]["output"]["activation"] = "sigmoid"
    assert main(["summary", write_design(data)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("warning: head 'output1': sigmoid with mse limits predictions to 0..1")
    assert out[-1] == "Total params: 2883"


BAD_DESIGN = {
    "input": {"shape": [10]},
    "trunk": [{"type": "LSTM", "id": "rnn"}, {"type": "Dense", "id": "d", "units": 10**12}],
    "heads": [{"name": "class"}, {"name": "y", "branch_from": "nowhere"}],
}


def test_design_that_does_not_parse_exits_2_with_its_problems(write_design):
    result = run_cli("summary", write_design(BAD_DESIGN))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: trunk step 2 (Dense): units must be at most 16384. Received: units=1000000000000. Use a smaller value.",
    ]


def test_invalid_design_prints_every_problem_and_exits_2(write_design):
    data = dict(BAD_DESIGN, trunk=BAD_DESIGN["trunk"][:1])
    result = run_cli("summary", write_design(data))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert [line.split(":")[1] for line in lines] == [" head 'class'", " head 'y'", " trunk step 1 (LSTM)"]
    assert lines[0] == "error: head 'class': 'class' is a Python keyword. Choose another name, such as class_out."
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content", ["{not json", "[" * 100_000, "null", '{"input": {"shape": [10]}}'])
def test_broken_files_exit_2_without_a_traceback(write_design, content):
    result = run_cli("summary", write_design(content))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_missing_file_is_one_line_and_exit_2():
    result = run_cli("summary", "no/such/design.json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == ("error: cannot read the design file 'no/such/design.json': No such file or directory. "
                             "Check the path.\n")


def test_missing_file_for_code_too(capsys, tmp_path):
    assert main(["code", str(tmp_path / "missing.json")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_code_prints_python_that_runs(keras, write_design):
    result = run_cli("code", write_design(template("seed-sequence-two-heads").to_json()))
    assert result.returncode == 0, result.stderr
    namespace: dict = {}
    exec(compile(result.stdout, "generated.py", "exec"), namespace)
    model = namespace["model"]
    assert model.count_params() == 112_710
    assert model.output_names == ["output1", "output2"]
    assert model.get_compile_config()["loss"] == {"output1": "mse", "output2": "categorical_crossentropy"}


def test_code_of_an_invalid_design_exits_2(capsys, write_design):
    assert main(["code", write_design(BAD_DESIGN)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: trunk step 2 (Dense): units must be at most 16384.")


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("templates", "template", "summary", "code"):
        assert command in result.stdout
