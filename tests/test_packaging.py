"""`pip install .` gives two console commands matching the scripts."""

from __future__ import annotations

import configparser
import importlib
import subprocess
import sys
import zipfile

from dbx_inventory import __version__
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
    # The emulator (a top-level package beside it, for the tests, `make demo` and bench/) is not shipped.
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {"dbx_inventory"}
    scripts = dict(parser["console_scripts"])
    assert set(scripts) == {"databricks-user-list", "databricks-user-files-simple"}
    for target in scripts.values():
        module, func = target.split(":")
        assert callable(getattr(importlib.import_module(module), func))


def test_console_entry_runs_like_the_script_under_its_own_name():
    for module, name in (("scan", "databricks-user-files-simple"), ("users", "databricks-user-list")):
        code = f"import sys; sys.argv=['/usr/local/bin/{name}', '--help']; from dbx_inventory.cli.{module} import entry; entry()"
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
        assert r.returncode == 0 and "exit codes" in r.stdout
        assert r.stdout.startswith(f"usage: {name} ") and f"\n  {name} " in r.stdout
        assert ".py" not in r.stdout  # never the script's name in the installed command's help
        version = f"import sys; sys.argv=['{name}', '--version']; from dbx_inventory.cli.{module} import entry; entry()"
        r = subprocess.run([sys.executable, "-c", version], capture_output=True, text=True, cwd=ROOT)
        assert r.returncode == 0 and r.stdout.strip() == f"{name} {__version__}"


def test_scripts_say_their_version():
    for script in ("databricks_user_list.py", "databricks_user_files_simple.py"):
        r = subprocess.run([sys.executable, str(ROOT / script), "--version"], capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout.strip() == f"{script} {__version__}"
