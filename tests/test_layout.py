"""The import boundaries in pyproject.toml are enforced: they hold on the tree, and a forbidden import breaks them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed (pip install .[dev])")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def _copy_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for name in ("demo", "inference", "training", "tests"):
        shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_import_contracts_hold_on_the_tree(tmp_path):
    result = _lint(_copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("inference/labels.py", "from training import config", "inference is not allowed to import training"),
        ("inference/splitter.py", "import datasets", "inference is not allowed to import datasets"),
        ("inference/document.py", "import gradio", "inference is not allowed to import gradio"),
        ("demo/render.py", "from training import labels", "demo is not allowed to import training"),
        (
            "training/evaluation/plots.py",
            "import accelerate",
            "training.evaluation is not allowed to import accelerate",
        ),
        ("tests/test_data.py", "import scripts.bench_batch", "tests is not allowed to import scripts"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(tmp_path, module, line, broken):
    tree = _copy_tree(tmp_path)
    with (tree / module).open("a", encoding="utf-8") as handle:
        handle.write(f"\n{line}  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert broken in result.stdout
