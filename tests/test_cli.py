from __future__ import annotations

import subprocess
import sys

from jepa_wm.cli.main import VERBS, main


def test_help_lists_every_verb(capsys) -> None:
    assert main([]) == 2
    out = capsys.readouterr().out
    for verb in VERBS:
        assert verb in out


def test_console_script_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "jepa_wm.cli.main", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert "jepa-wm" in proc.stdout
