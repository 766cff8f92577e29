"""The layers stated in pyproject.toml hold, and the check fails when a module imports upward."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"]


def lint(folder: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"}
    return subprocess.run([*LINT, "--no-cache"], cwd=folder, env=env, capture_output=True, text=True)


def test_every_import_points_down_and_no_package_has_a_cycle():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_an_upward_import_breaks_the_layers_contract(tmp_path):
    for name in ("monitoring", "pages"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    schema = tmp_path / "monitoring" / "schema.py"
    schema.write_text(schema.read_text() + "\nimport monitoring.report  # noqa: E402 (upward, on purpose)\n")
    done = lint(tmp_path)
    assert done.returncode == 1
    assert "Layers point down BROKEN" in done.stdout
    assert "monitoring.schema -> monitoring.report" in done.stdout
