"""A wide CSV (10,000 columns): reading it and drawing the Data page, against a bare pandas read.

Writes a 200-row x 10,000-column CSV of numbers (plus one category column), then measures in this
process, best of ``--repeat``:

- baseline: ``pandas.read_csv(path, engine="pyarrow")``;
- ``builder.data.read_csv`` (detection, checks, profile of every column);
- the Data page (AppTest server time) after uploading the file: read, profile and draw, one page of
  columns with a search box.

Target (issue 9): the Data page drawn within 10 s (it took 208 s).

    python benchmarks/bench_wide_csv.py [--columns 10000] [--rows 200] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def write_csv(path: Path, rows: int, columns: int) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(rows, columns)).round(3), columns=[f"c{i}" for i in range(columns)])
    frame["group"] = rng.choice(["a", "b", "c"], rows)
    frame.to_csv(path, index=False)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def draw_page(data: bytes) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.file_uploader(key="data.upload").set_value(("wide.csv", data, "text/csv")).run()
    assert not at.exception and not at.error, (at.exception, at.error)


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--columns", type=int, default=10_000)
    args.add_argument("--rows", type=int, default=200)
    args.add_argument("--repeat", type=int, default=2)
    opts = args.parse_args()
    os.environ["BUILDER_WARM_TRAINING"] = "0"
    import pandas as pd

    from builder.data import read_csv

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "wide.csv"
        write_csv(path, opts.rows, opts.columns)
        data = path.read_bytes()
        bare = best(lambda: pd.read_csv(path, engine="pyarrow"), opts.repeat)
        ours = best(lambda: read_csv(data, name="wide.csv"), opts.repeat)
        page = best(lambda: draw_page(data), opts.repeat)
    print(f"{opts.rows} rows x {opts.columns + 1:,} columns, {len(data) / 2**20:.1f} MB\n")
    print("| step | seconds (best of %d) | x bare read |" % opts.repeat)
    print("|---|---:|---:|")
    print(f"| bare `pandas.read_csv(engine=\"pyarrow\")` | {bare:.2f} | 1.00 |")
    print(f"| `builder.data.read_csv` (checks + profile) | {ours:.2f} | {ours / bare:.2f} |")
    print(f"| Data page: upload, read, profile, draw (AppTest) | {page:.2f} | {page / bare:.2f} |")
    print(f"\ntarget: Data page <= 10 s: {'met' if page <= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
