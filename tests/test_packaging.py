"""`pip install .` gives two console commands matching the scripts."""

from __future__ import annotations

import configparser
import importlib
import subprocess
import sys
import zipfile

from tests.conftest import ROOT


def test_wheel_declares_both_console_commands(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    wheel = next(tmp_path.glob("*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        parser = configparser.ConfigParser()
        parser.read_string(zf.read(entry_points).decode())
    assert "dbx_inventory/cli/scan.py" in names and "dbx_inventory/py.typed" in names
    scripts = dict(parser["console_scripts"])
    assert set(scripts) == {"databricks-user-list", "databricks-user-files-simple"}
    for target in scripts.values():
        module, func = target.split(":")
        assert callable(getattr(importlib.import_module(module), func))


def test_console_entry_runs_like_the_script():
    r = subprocess.run([sys.executable, "-c", "import sys; sys.argv=['x','--help']; "
                        "from dbx_inventory.cli.scan import entry; entry()"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "--users-file" in r.stdout and "exit codes" in r.stdout
