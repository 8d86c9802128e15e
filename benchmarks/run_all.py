"""Run every benchmark script in this folder, one after another, printing their tables.

Each script measures against a baseline in the same run (the machines are
shared and noisy), so only ratios and same-run comparisons are meaningful.
"""

import subprocess
import sys
from pathlib import Path

here = Path(__file__).parent
failed = []
for script in sorted(here.glob("bench_*.py")):
    print(f"\n## {script.name}\n", flush=True)
    if subprocess.run([sys.executable, str(script)], cwd=here.parent).returncode:
        failed.append(script.name)
if failed:
    sys.exit(f"failed: {', '.join(failed)}")
