"""Issue 12 from the command line: `suggest` then `train` on a series, a pixel CSV and a table with a date,
a comment and a row counter; every head's loss falls; the saved model loads with safe_mode=True and predicts."""

import json

import numpy as np
import pytest

from builder.cli import main
from feature_files import digits_frame, notes_frame, weather_frame, write


def suggest_and_train(tmp_path, capsys, frame, args, epochs=4):
    data = write(frame, tmp_path / "data.csv")
    assert main(["suggest", str(data), *args]) == 0
    design = tmp_path / "design.json"
    design.write_text(capsys.readouterr().out)
    out = tmp_path / "model.keras"
    assert main(["train", str(design), "--data", str(data), "--epochs", str(epochs), "--out", str(out)]) == 0
    epochs_printed = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("epoch ")]
    return json.loads(design.read_text()), epochs_printed, out


def head_losses(lines, head):
    return [float(parts[parts.index(head) + 1]) for parts in lines]


def load_safely(path):
    import keras
    return keras.models.load_model(path, safe_mode=True)


def test_series_windows_train_both_heads_and_the_model_predicts_from_windows(tmp_path, capsys):
    design, lines, out = suggest_and_train(tmp_path, capsys, weather_frame(), [
        "--targets", "weather,temp", "--window", "14", "--horizon", "1"])
    assert design["input"] == {"kind": "window", "columns": ["humidity", "pressure", "temp"], "window": 14,
                               "horizon": 1, "stride": 1, "time_column": "date"}
    assert [layer["type"] for layer in design["trunk"]][0] == "LSTM"
    for head in ("weather", "temp"):
        losses = head_losses(lines, head)
        assert losses[-1] < losses[0], (head, losses)
    model = load_safely(out)
    predictions = model.predict(np.zeros((5, 14, 3), np.float32), verbose=0)
    assert predictions[0].shape == (5, 3) and predictions[1].shape == (5, 1)


def test_pixel_csv_becomes_an_image_input_with_a_conv_trunk(tmp_path, capsys):
    design, lines, out = suggest_and_train(tmp_path, capsys, digits_frame(), [
        "--targets", "label,thickness", "--kinds", "label=multiclass"])
    assert design["input"] == {"kind": "image", "shape": [28, 28, 1], "prefix": "pixel", "start": 0}
    assert design["trunk"][0]["type"] == "Conv2D"
    for head in ("label", "thickness"):
        losses = head_losses(lines, head)
        assert losses[-1] < losses[0], (head, losses)
    model = load_safely(out)
    images = digits_frame(rows=4, seed=1).filter(like="pixel").to_numpy(np.float32).reshape(4, 28, 28, 1)
    label, thickness = model.predict(images, verbose=0)      # raw 0-255 pixels: the model scales them
    assert label.shape == (4, 10) and thickness.shape == (4, 1)


def test_table_with_date_comment_and_counter(tmp_path, capsys):
    design, lines, out = suggest_and_train(tmp_path, capsys, notes_frame(), [
        "--targets", "status,score", "--max-tokens", "50"])
    columns = {c["name"]: c for c in design["input"]["columns"]}
    assert "Sample Number" not in columns                       # a row counter is an ID, left out
    assert columns["Date Egg"]["kind"] == "date" and "month_sin" in columns["Date Egg"]["parts"]
    assert columns["Comments"]["kind"] == "text" and columns["Comments"]["max_tokens"] == 50
    for head in ("status", "score"):
        losses = head_losses(lines, head)
        assert losses[-1] < losses[0], (head, losses)
    from builder.data import model_inputs_from_frame
    from builder.design.spec import parse_design
    model = load_safely(out)
    rows = notes_frame(rows=6, seed=3)
    status, score = model.predict(model_inputs_from_frame(parse_design(design), rows), verbose=0)
    assert status.shape == (6, 1) and score.shape == (6, 1) and np.isfinite(score).all()


@pytest.mark.parametrize("args, words", [
    (["--targets", "temp", "--window", "500"], "longer than the series (400 rows)"),
    (["--targets", "temp", "--window", "10", "--horizon", "395"], "horizon of 395 step(s) ahead goes beyond"),
])
def test_bad_windows_exit_2_with_one_clear_line(tmp_path, capsys, args, words):
    data = write(weather_frame(), tmp_path / "data.csv")
    assert main(["suggest", str(data), *args]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
