"""Canvas speed and size: one canvas action on a 30-layer, 4-head design, and what the component is sent.

Targets (issue 11): a canvas action redraws the Design page in at most 150 ms of server time, and the
component's data per redraw is under 50 KB.

* Server time: an ``AppTest`` run of the Design page after the canvas sent an action (its ``action``
  state set through session state, exactly what the browser's message does), median of several, for
  select, insert, move and undo.  Baselines in the same process: an ``AppTest`` run of a one-line
  script (the harness's own cost) and a plain rerun of the Design page with no action.  Measured
  before and after importing Keras (with Keras loaded every run also pays Streamlit's clean-up hooks).
* Size: the component's ``data`` as JSON per redraw, and everything its element carries (data, its
  JavaScript and CSS).  Baseline: the Graphviz DOT text the previous Design page sent for the same design.

Prints a markdown table. Usage: ``.venv/bin/python benchmarks/bench_canvas.py``.
"""

from __future__ import annotations

import itertools
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from streamlit.testing.v1 import AppTest  # noqa: E402

from bench_ui import big_design  # noqa: E402
from builder.design.diagram import to_dot  # noqa: E402
from builder.design.validate import analyse  # noqa: E402

NONCES = itertools.count(1)
REPEATS = 15                 # medians of 15: the machine is shared and noisy
ACTIONS = {
    "select a node": [{"op": "select", "node": "trunk/dense_5"}],
    "insert a layer": [{"op": "insert", "chain": "trunk", "index": 3, "type": "Dropout"}, {"op": "undo"}],
    "move a layer": [{"op": "move", "node": "trunk/dense_2", "index": 0}, {"op": "undo"}],
}


def timed(run) -> tuple[float, float]:
    """(wall, CPU) seconds of ``run``.  CPU time is the server's own work, whatever else loads the machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def send(at: AppTest, action: dict) -> tuple[float, float]:
    """(wall, CPU) seconds of one Design page run after the canvas sent ``action``."""
    at.session_state["canvas"] = {"action": {**action, "nonce": next(NONCES)}}
    return timed(at.run)


def page_times() -> dict:
    os.environ["BUILDER_WARM_TRAINING"] = "0"     # no TensorFlow worker competing for the CPU being timed
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["design"] = big_design()
    at.run()
    at.switch_page("pages/design.py").run()
    assert not at.exception, at.exception
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in ACTIONS}
    times["undo (the step back)"] = []
    rerun = []
    for _ in range(REPEATS):
        for name, steps in ACTIONS.items():
            times[name].append(send(at, steps[0]))
            if len(steps) > 1:
                times["undo (the step back)"].append(send(at, steps[1]))
        rerun.append(timed(at.run))
    assert not at.exception and not at.error, (at.exception, at.error)
    assert [x.id for x in at.session_state["design"].trunk] == [x.id for x in big_design().trunk]
    baseline_app = AppTest.from_string("import streamlit as st\nst.write('hello')").run()
    baseline = [timed(baseline_app.run) for _ in range(REPEATS)]
    result = {name: medians(values) for name, values in times.items()}
    result.update({"plain rerun": medians(rerun), "baseline": medians(baseline)})
    result["sizes"] = sizes(at)
    return result


def medians(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def sizes(at: AppTest) -> dict[str, int]:
    proto = at.get("bidi_component")[0].proto
    return {"data": len(proto.json.encode()), "element": proto.ByteSize(),
            "code": len(proto.js_content.encode()) + len(proto.css_content.encode()),
            "dot": len(to_dot(analyse(big_design())).encode())}


def main() -> None:
    before = page_times()
    import keras  # noqa: F401  (as bench_ui: every run then also pays for Keras' clean-up hooks)
    after = page_times()
    ms = lambda pair: f"{pair[0] * 1000:.0f} ms ({pair[1] * 1000:.0f} ms CPU)"  # noqa: E731
    print("| Design page server time, 30-layer 4-head design (median wall, CPU) | without Keras | with Keras imported "
          "| target |")
    print("|---|---|---|---|")
    for key in (*ACTIONS, "undo (the step back)", "plain rerun", "baseline"):
        label = "baseline: AppTest run of a one-line script" if key == "baseline" else f"canvas: {key}"
        if key == "plain rerun":
            label = "baseline: Design page rerun, no action"
        target = "<= 150 ms" if key not in ("plain rerun", "baseline") else ""
        print(f"| {label} | {ms(before[key])} | {ms(after[key])} | {target} |")
    print()
    s = after["sizes"]
    kb = lambda n: f"{n / 1024:.1f} KB"  # noqa: E731
    print("| sent to the browser per redraw | size | target |")
    print("|---|---|---|")
    print(f"| canvas data (JSON) | {kb(s['data'])} | < 50 KB |")
    print(f"| canvas element, data + JavaScript + CSS | {kb(s['element'])} | |")
    print(f"| of which the component's JavaScript and CSS | {kb(s['code'])} | |")
    print(f"| baseline: the old page's Graphviz DOT for the same design | {kb(s['dot'])} | |")


if __name__ == "__main__":
    sys.exit(main())
