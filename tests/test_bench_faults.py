"""`jepa-wm bench faults`: every case of the battery reports what was expected and what happened."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_faults_all_cases_hold() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "jepa_wm.cli.main", "bench", "faults", "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout)
    from jepa_wm.bench.faults import CASES

    assert [c["case"] for c in report["cases"]] == list(CASES)
    for case in report["cases"]:
        assert case["expected"] and case["happened"], case
    assert report["failed"] == [], json.dumps(report["cases"], indent=1)
