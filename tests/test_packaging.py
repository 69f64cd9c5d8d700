"""codecs/ installs as runtime_mlflow.codecs; a top-level `codecs` would be the stdlib's."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = "import codecs, runtime_mlflow.codecs as c; print(codecs.__file__); print(c.__file__); print(sorted(c.registry))"


def run_probe(cwd: Path, pythonpath: str | None = None) -> list[str]:
    env = {"PATH": "/usr/bin:/bin", **({"PYTHONPATH": pythonpath} if pythonpath else {})}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_normal_install_puts_codecs_inside_the_package(tmp_path):
    target = tmp_path / "site"
    # from a clean copy: setuptools' build/ folder in a checkout can carry files of older builds
    source = shutil.copytree(ROOT, tmp_path / "src", ignore=shutil.ignore_patterns(
        ".venv", ".venv-kserve", ".git", "build", "*.egg-info", "__pycache__", "examples"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target", str(target),
         str(source)],
        check=True, capture_output=True,
    )
    assert (target / "runtime_mlflow" / "codecs" / "registry.py").is_file()
    assert not (target / "codecs").exists()
    package = ROOT / "runtime_mlflow"
    missing = [str(p.relative_to(package)) for p in package.rglob("*.py")
               if "__pycache__" not in p.parts and not (target / "runtime_mlflow" / p.relative_to(package)).is_file()]
    assert missing == []  # every subpackage is installed
    stdlib, ours, types = run_probe(tmp_path, str(target))
    assert "site-packages" not in stdlib and str(target) not in stdlib
    assert ours == str(target / "runtime_mlflow" / "codecs" / "__init__.py")
    assert "np" in types


def test_checkout_on_sys_path_finds_codecs_beside_the_package(tmp_path):
    stdlib, ours, _ = run_probe(tmp_path, str(ROOT))
    assert ours == str(ROOT / "codecs" / "__init__.py")
    assert not stdlib.startswith(str(ROOT))
