"""Every kind of bad input tried against the command line, uploads and links, with the message each gets.

One table serves two readers: ``tests/test_bad_input.py`` runs each row and checks its message (and, on
the command line, exit code 2 and no traceback); ``python tests/bad_input_cases.py`` runs them all and
rewrites ``docs/bad_input.md`` with the messages as they are now.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import zlib
import base64
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Case:
    id: str
    surface: str          # "CLI", "upload" or "link"
    what: str             # the bad input, in words
    run: object           # CLI: argv (placeholders {name} are files of make_files); else a callable(files)
    expect: str           # a part of the message the user must get
    env: dict = field(default_factory=dict)


# ------------------------------------------------------------------ files

def _design(**change) -> dict:
    from builder.design.templates import template

    data = template("seed-multi-regression").model_dump()
    data.update(change)
    return data


def _table_design(columns, heads, trunk=()) -> dict:
    return {"input": {"kind": "table", "columns": columns}, "trunk": list(trunk), "heads": heads}


NUM = {"name": "year", "kind": "numeric"}


def make_files(folder: Path) -> dict[str, str]:
    """Write every file the cases read; returns placeholder name -> path."""
    from builder.data import load_builtin, suggest_design

    files: dict[str, Path] = {}

    def put(name: str, content) -> None:
        path = folder / name
        if isinstance(content, (dict, list)):
            content = json.dumps(content)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        files[Path(name).stem] = path

    put("design.json", _design())
    put("notjson.json", "{input: tensor")
    put("array.json", "[1, 2, 3]")
    put("lambda.json", _design(trunk=[{"type": "Lambda", "id": "f", "function": "os.system('x')"}]))
    put("zero_units.json", _design(trunk=[{"type": "Dense", "id": "d", "units": 0}]))
    heads = _design()["heads"]
    put("dup_heads.json", _design(heads=[heads[0], {**heads[1], "name": heads[0]["name"]}]))
    put("keyword_head.json", _design(heads=[{**heads[0], "name": "class"}]))
    put("bad_branch.json", _design(heads=[{**heads[0], "branch_from": "nowhere"}]))
    put("huge.json", _design(trunk=[{"type": "Dense", "id": "d", "units": 16384},
                                    {"type": "Dense", "id": "e", "units": 16384}]))
    put("softmax1.json", _design(heads=[{**heads[0], "output": {"units": 1, "activation": "softmax"},
                                         "loss": "categorical_crossentropy", "metrics": []}]))
    put("features_id.json", _table_design([NUM], [{"name": "y", "target": "y"}],
                                          [{"type": "Dense", "id": "features", "units": 4}]))
    put("norm_id.json", _table_design([NUM], [{"name": "y", "target": "y"}],
                                      [{"type": "Dense", "id": "year_norm", "units": 4}]))
    put("head_like_column.json", _table_design([NUM], [{"name": "year", "target": "y"}]))
    put("dup_column.json", _table_design([NUM, NUM], [{"name": "y", "target": "y"}]))
    put("dup_vocab.json", _table_design([{"name": "island", "kind": "categorical", "vocabulary": ["a", "a"]}],
                                        [{"name": "y", "target": "y"}]))
    put("deep.json", "[" * 5000 + "]" * 5000)
    put("version.json", _design(version=99))

    penguins = load_builtin("penguins")
    put("penguins_design.json", suggest_design(penguins, ["species", "body_mass_g"]).model_dump())
    put("penguins.csv", penguins.frame.to_csv(index=False))
    with_inf = penguins.frame.copy()
    with_inf.loc[4, "bill_length_mm"] = float("inf")
    put("inf.csv", with_inf.to_csv(index=False))
    put("people.csv", "height,weight,colour\n1.5,60,red\n1.7,70,blue\n1.8,80,red\n")
    put("empty.csv", "")
    put("header_only.csv", "a,b,c\n")
    put("ragged.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,9\n")
    put("binary.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    put("not_npz.npz", "x,y\n1,2\n")

    x = np.zeros((40, 10), "float32")
    ys = {f"output{i}": np.zeros((40, 1), "float32") for i in (1, 2, 3)}
    np.savez(folder / "good.npz", x=x, **ys)
    np.savez(folder / "object.npz", x=np.array([{"a": 1}] * 40, dtype=object).reshape(40, 1).repeat(10, 1), **ys)
    np.savez(folder / "text_target.npz", x=x, **{**ys, "output1": np.array(["tall"] * 40)})
    np.savez(folder / "no_head.npz", x=x, output1=ys["output1"])
    np.savez(folder / "wrong_shape.npz", x=np.zeros((40, 7), "float32"), **ys)
    np.savez(folder / "rows.npz", x=x, **{**ys, "output2": np.zeros((39, 1), "float32")})
    x_inf = x.copy()
    x_inf[7, 3] = np.inf
    np.savez(folder / "inf_x.npz", x=x_inf, **ys)
    for name in ("good", "object", "text_target", "no_head", "wrong_shape", "rows", "inf_x"):
        files[f"{name}_npz"] = folder / f"{name}.npz"
    files["folder"] = folder
    return {k: str(v) for k, v in files.items()}


# ------------------------------------------------------------------ runners

def run_cli(argv: list[str], files: dict[str, str], env: dict | None = None) -> tuple[int, str]:
    """(exit code, what was printed to stderr) of ``python -m builder`` run in this process."""
    from builder.cli import main

    argv = [a.format(**files) for a in argv]
    err, out = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                code = main(argv)
            except SystemExit as e:          # argparse's own refusals: usage line and exit 2
                code = e.code
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return code, err.getvalue().strip()


def upload_csv(name: str, max_bytes: int | None = None):
    def run(files):
        from builder.data import read_csv

        data = Path(files[Path(name).stem]).read_bytes()
        return read_csv(data, name=name, **({"max_bytes": max_bytes} if max_bytes else {}))
    return run


def upload_design(name: str):
    def run(files):
        from builder.design.validate import load_design

        return load_design(Path(files[Path(name).stem]).read_bytes())
    return run


def open_link(text_of):
    """The app's restore of ``?d=``: the problems it returns are what the page shows."""
    def run(files):
        from builder import session as state
        from builder.errors import DesignError

        ss: dict = {}
        state.ensure(ss)
        problems = state.restore_from_url(ss, text_of())
        if problems:
            raise DesignError(problems)
        return ss
    return run


def run_case(case: Case, files: dict[str, str]) -> tuple[int | None, str]:
    """(exit code or None, the message) for one case."""
    if case.surface == "CLI":
        return run_cli(case.run, files, case.env)
    from builder.errors import DataError, DesignError

    try:
        case.run(files)
    except DesignError as e:
        return None, " ".join(str(p) for p in e.problems)
    except DataError as e:
        return None, str(e)
    return None, "(accepted: no message)"


def _link(data: dict) -> str:
    return base64.urlsafe_b64encode(zlib.compress(json.dumps(data).encode())).decode().rstrip("=")


# ------------------------------------------------------------------ the table

T = "train"
CASES = [
    # designs on the command line
    Case("cli-design-missing", "CLI", "design file that does not exist", ["summary", "{folder}/nope.json"],
         "cannot read the design file"),
    Case("cli-design-not-json", "CLI", "design file that is not JSON", ["summary", "{notjson}"], "this is not valid JSON"),
    Case("cli-design-array", "CLI", "JSON that is a list, not an object", ["summary", "{array}"],
         "a design must be a JSON object"),
    Case("cli-design-too-deep", "CLI", "JSON nested 5,000 levels deep", ["summary", "{deep}"], "nested too deeply"),
    Case("cli-design-version", "CLI", "design version 99", ["summary", "{version}"], "version"),
    Case("cli-lambda-layer", "CLI", "a Lambda layer (code in a design)", ["summary", "{lambda}"], "Lambda"),
    Case("cli-zero-units", "CLI", "Dense with units 0", ["summary", "{zero_units}"], "units must be at least 1"),
    Case("cli-duplicate-heads", "CLI", "two heads with one name", ["summary", "{dup_heads}"], "2 heads are named 'output1'"),
    Case("cli-keyword-head", "CLI", "a head named `class`", ["summary", "{keyword_head}"], "is a Python keyword"),
    Case("cli-bad-branch", "CLI", "branch_from a layer that does not exist", ["summary", "{bad_branch}"],
         "branch_from 'nowhere' is not a trunk layer"),
    Case("cli-too-many-params", "CLI", "268 million parameters", ["summary", "{huge}"], "the limit is 50,000,000"),
    Case("cli-softmax-1-unit", "CLI", "1-unit softmax head with categorical_crossentropy", ["summary", "{softmax1}"],
         "with 1 output unit cannot learn"),
    Case("cli-id-features", "CLI", "trunk id `features` (a generated name)", ["summary", "{features_id}"],
         "id 'features' is the name the model gives to the layer that joins the input columns"),
    Case("cli-id-norm", "CLI", "trunk id `year_norm` (a generated name)", ["summary", "{norm_id}"],
         "id 'year_norm' is the name the model gives to the preprocessing layer of column 'year'"),
    Case("cli-head-like-column", "CLI", "a head named like an input column", ["summary", "{head_like_column}"],
         "head name 'year' is the name the model gives to the input for column 'year'"),
    Case("cli-column-twice", "CLI", "the same input column twice", ["summary", "{dup_column}"],
         "the column is listed 2 times among the inputs"),
    Case("cli-category-twice", "CLI", "a category list with a repeated word", ["summary", "{dup_vocab}"],
         "the category list has 'a' more than once"),
    Case("cli-code-bad-design", "CLI", "`code` of a design with errors", ["code", "{dup_heads}"], "2 heads are named"),
    Case("cli-template-unknown", "CLI", "a template that does not exist", ["template", "nope"], "nope"),
    # suggest
    Case("cli-suggest-missing", "CLI", "`suggest` of a CSV that does not exist",
         ["suggest", "{folder}/nope.csv", "--targets", "a"], "nope.csv"),
    Case("cli-suggest-no-target", "CLI", "`--targets` naming no column",
         ["suggest", "{people}", "--targets", "nosuch"], "nosuch"),
    Case("cli-suggest-nan-mb", "CLI", "`--max-mb nan`", ["suggest", "{people}", "--targets", "height", "--max-mb", "nan"],
         "--max-mb must be a number of megabytes above 0. Received: nan."),
    Case("cli-suggest-inf-mb", "CLI", "`--max-mb inf`", ["suggest", "{people}", "--targets", "height", "--max-mb", "inf"],
         "--max-mb must be a number of megabytes above 0. Received: inf."),
    Case("cli-suggest-negative-mb", "CLI", "`--max-mb -1`",
         ["suggest", "{people}", "--targets", "height", "--max-mb", "-1"], "Received: -1.0."),
    Case("cli-suggest-tiny-limit", "CLI", "a file over `--max-mb`",
         ["suggest", "{people}", "--targets", "height", "--max-mb", "0.00001"], "the limit is"),
    Case("cli-suggest-kinds", "CLI", "`--kinds` without `=`", ["suggest", "{people}", "--targets", "height",
                                                               "--kinds", "height"], "--kinds takes column=kind pairs"),
    Case("cli-suggest-text-target", "CLI", "a text column as a regression target",
         ["suggest", "{people}", "--targets", "colour", "--kinds", "colour=regression"], "colour"),
    # data
    Case("cli-data-unknown", "CLI", "a built-in dataset that does not exist",
         ["data", "nope", "--out", "{folder}/x.csv"], "no built-in dataset named 'nope'"),
    Case("cli-data-suffix", "CLI", "a table written as .npz", ["data", "penguins", "--out", "{folder}/x.npz"],
         "use a name ending in .csv"),
    Case("cli-data-rows-huge", "CLI", "`--rows 10**12`",
         ["data", "seed-multi-regression", "--out", "{folder}/x.npz", "--rows", str(10**12)],
         "rows must be between 1 and 100,000. Received: rows=1000000000000."),
    Case("cli-data-rows-zero", "CLI", "`--rows 0`", ["data", "penguins", "--out", "{folder}/x.csv", "--rows", "0"],
         "rows must be between 1 and 100,000"),
    Case("cli-data-seed-negative", "CLI", "`--seed -1`",
         ["data", "penguins", "--out", "{folder}/x.csv", "--seed", "-1"], "seed must be between 0 and"),
    Case("cli-data-seed-huge", "CLI", "`--seed 2**40`",
         ["data", "penguins", "--out", "{folder}/x.csv", "--seed", str(2**40)], "seed must be between 0 and"),
    Case("cli-data-out-folder", "CLI", "`--out` naming a folder", ["data", "penguins", "--out", "{folder}"],
         "is a folder"),
    Case("cli-data-out-proc", "CLI", "`--out /proc/x.csv`", ["data", "penguins", "--out", "/proc/x.csv"],
         "cannot write in the folder '/proc'"),
    Case("cli-data-rows-text", "CLI", "`--rows many`", ["data", "penguins", "--out", "{folder}/x.csv", "--rows", "many"],
         "must be a whole number. Received: 'many'"),
    # train: numbers and outputs
    Case("cli-train-epochs-huge", "CLI", "`--epochs 1000000000`",
         [T, "{design}", "--data", "{good_npz}", "--epochs", "1000000000"],
         "--epochs must be at most 10000. Received: 1000000000."),
    Case("cli-train-epochs-float", "CLI", "`--epochs 1e9`", [T, "{design}", "--data", "{good_npz}", "--epochs", "1e9"],
         "--epochs must be at most 10000. Received: 1000000000."),
    Case("cli-train-epochs-fraction", "CLI", "`--epochs 2.5`", [T, "{design}", "--data", "{good_npz}", "--epochs", "2.5"],
         "must be a whole number. Received: '2.5'"),
    Case("cli-train-epochs-zero", "CLI", "`--epochs 0`", [T, "{design}", "--data", "{good_npz}", "--epochs", "0"],
         "--epochs must be at least 1. Received: 0."),
    Case("cli-train-batch-huge", "CLI", "`--batch-size 10**12`",
         [T, "{design}", "--data", "{good_npz}", "--batch-size", str(10**12)],
         "--batch-size must be at most 65536. Received: 1000000000000."),
    Case("cli-train-batch-negative", "CLI", "`--batch-size -5`",
         [T, "{design}", "--data", "{good_npz}", "--batch-size", "-5"], "--batch-size must be at least 1"),
    Case("cli-train-out-h5", "CLI", "`--out model.h5`", [T, "{design}", "--data", "{good_npz}", "--out", "{folder}/m.h5"],
         "--out must end in .keras"),
    Case("cli-train-out-folder", "CLI", "`--out` naming a folder",
         [T, "{design}", "--data", "{good_npz}", "--out", "{folder}/sub.keras"], "is a folder"),
    Case("cli-train-out-no-folder", "CLI", "`--out` in a folder that does not exist",
         [T, "{design}", "--data", "{good_npz}", "--out", "{folder}/nowhere/m.keras"], "does not exist. Create it first."),
    Case("cli-train-out-proc", "CLI", "`--out /proc/m.keras`",
         [T, "{design}", "--data", "{good_npz}", "--out", "/proc/m.keras"], "cannot write in the folder '/proc'"),
    Case("cli-train-history-folder", "CLI", "`--history` naming a folder",
         [T, "{design}", "--data", "{good_npz}", "--history", "{folder}"], "--history"),
    Case("cli-train-history-proc", "CLI", "`--history /proc/h.csv`",
         [T, "{design}", "--data", "{good_npz}", "--history", "/proc/h.csv"], "cannot write in the folder '/proc'"),
    Case("cli-train-strategy", "CLI", "`--strategy tpu`", [T, "{design}", "--data", "{good_npz}", "--strategy", "tpu"],
         "invalid choice: 'tpu'"),
    Case("cli-train-tf-config", "CLI", "TF_CONFIG that is not JSON",
         [T, "{design}", "--data", "{good_npz}", "--strategy", "multiworker"], "TF_CONFIG is not a JSON object",
         env={"TF_CONFIG": "{cluster: nope"}),
    Case("cli-train-tf-config-list", "CLI", "TF_CONFIG that is a JSON list",
         [T, "{design}", "--data", "{good_npz}", "--strategy", "multiworker"], "TF_CONFIG is not a JSON object",
         env={"TF_CONFIG": "[1, 2]"}),
    # train: data files
    Case("cli-train-data-missing", "CLI", "`--data` that does not exist", [T, "{design}", "--data", "{folder}/no.npz"],
         "no such file"),
    Case("cli-train-csv-for-arrays", "CLI", "a CSV for an array design", [T, "{design}", "--data", "{people}"],
         "so --data must be an .npz"),
    Case("cli-train-npz-for-table", "CLI", "an .npz for a table design", [T, "{penguins_design}", "--data", "{good_npz}"],
         "so --data must be a CSV"),
    Case("cli-train-npz-object", "CLI", "an .npz with an object array",
         [T, "{design}", "--data", "{object_npz}"], "holds Python objects, which are never loaded"),
    Case("cli-train-npz-text-target", "CLI", "text targets for a regression head",
         [T, "{design}", "--data", "{text_target_npz}"], "holds <U4 values (such as 'tall'), not numbers"),
    Case("cli-train-text-as-npz", "CLI", "a text file named .npz", [T, "{design}", "--data", "{not_npz}"],
         "is not an .npz file"),
    Case("cli-train-npz-no-head", "CLI", "an .npz without a head's array", [T, "{design}", "--data", "{no_head_npz}"],
         "has no array named 'output2', 'output3'"),
    Case("cli-train-npz-shape", "CLI", "an .npz whose x has the wrong shape",
         [T, "{design}", "--data", "{wrong_shape_npz}"], "x has samples of shape (7,)"),
    Case("cli-train-npz-rows", "CLI", "a head array one row short", [T, "{design}", "--data", "{rows_npz}"],
         "array 'output2' has 39 rows but x has 40"),
    Case("cli-train-npz-inf", "CLI", "`inf` in an .npz's x", [T, "{design}", "--data", "{inf_x_npz}", "--epochs", "1"],
         "has an infinite value in sample 8"),
    Case("cli-train-csv-inf", "CLI", "`inf` in a CSV input column", [T, "{penguins_design}", "--data", "{inf}", "--epochs", "1"],
         "input column 'bill_length_mm' has an infinite value in data row 5"),
    # uploads (the Data page and the Design page's JSON upload)
    Case("upload-empty", "upload", "an empty CSV", upload_csv("empty.csv"), "empty"),
    Case("upload-binary", "upload", "a PNG named .csv", upload_csv("binary.csv"), "binary.csv"),
    Case("upload-header-only", "upload", "a CSV with a header and no rows", upload_csv("header_only.csv"),
         "has a header row (a, b, c) but no data rows"),
    Case("upload-ragged", "upload", "rows with too few and too many fields", upload_csv("ragged.csv"), "ragged.csv"),
    Case("upload-too-large", "upload", "a CSV over the size limit", upload_csv("people.csv", max_bytes=10),
         "the limit is 10 bytes"),
    Case("upload-design-not-json", "upload", "a design upload that is not JSON", upload_design("notjson.json"),
         "this is not valid JSON"),
    Case("upload-design-lambda", "upload", "a design upload with a Lambda layer", upload_design("lambda.json"), "Lambda"),
    Case("upload-design-deep", "upload", "a design upload nested 5,000 levels", upload_design("deep.json"),
         "nested too deeply"),
    Case("upload-design-dup-heads", "upload", "a design upload with two heads of one name",
         upload_design("dup_heads.json"), "2 heads are named"),
    Case("upload-design-generated-name", "upload", "a design upload whose trunk id is `features`",
         upload_design("features_id.json"), "id 'features' is the name the model gives"),
    # links (?d=)
    Case("link-garbage", "link", "`?d=` of random text", open_link(lambda: "not-a-design!!"), "damaged or truncated"),
    Case("link-truncated", "link", "a link cut in half",
         open_link(lambda: _link(_design())[:40]), "damaged or truncated"),
    Case("link-not-zlib", "link", "base64 that is not compressed",
         open_link(lambda: base64.urlsafe_b64encode(b"hello world").decode()), "damaged or truncated"),
    Case("link-200kb", "link", "200 KB of garbage", open_link(lambda: "A" * 200_000), "damaged or truncated"),
    Case("link-not-a-design", "link", "a valid link to JSON that is not a design",
         open_link(lambda: _link({"hello": 1})), "input"),
    Case("link-bad-value", "link", "a link whose design has units -3",
         open_link(lambda: _link(_design(trunk=[{"type": "Dense", "id": "d", "units": -3}]))),
         "units must be at least 1"),
]


def write_doc(path: Path = ROOT / "docs" / "bad_input.md") -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        files = make_files(Path(folder))
        (Path(folder) / "sub.keras").mkdir()
        rows = []
        for case in CASES:
            code, message = run_case(case, files)
            message = message.replace(folder, "…").replace("|", "\\|").replace("\n", " ")
            rows.append(f"| {case.surface} | {case.what} | {'' if code is None else code} | {message} |")
    counts = {s: sum(c.surface == s for c in CASES) for s in ("CLI", "upload", "link")}
    path.write_text(
        "# Bad input: what each kind gets\n\n"
        f"Every row is a case in `tests/bad_input_cases.py`, run by `tests/test_bad_input.py` (one test per row: "
        f"the message below, no traceback, exit code 2 on the command line). {len(CASES)} kinds: "
        f"{counts['CLI']} on the command line, {counts['upload']} uploads, {counts['link']} links. "
        "Regenerate with `python tests/bad_input_cases.py`.\n\n"
        "| where | the bad input | exit | the message |\n|---|---|---:|---|\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    write_doc()
    print(f"wrote docs/bad_input.md ({len(CASES)} cases)")
