"""No block of more than 6 lines of code is repeated in the tree (the package, codecs/, the
tests, the examples and the benchmarks): the same 7 consecutive code lines, compared with
their indentation and trailing comments removed, appear in one place only. Blank lines,
comments, imports, bare quotes and lines of closing brackets or one keyword are not counted."""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("runtime_mlflow", "codecs", "tests", "examples", "benchmarks", "deploy")
WINDOW = 7
_TRIVIAL = re.compile(r"^([)\]}],?:?|\"\"\"|pass|else:|try:|finally:|return|continue|break)$")


def code_lines(path: Path) -> list[tuple[int, str]]:
    lines = []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split("  #")[0].strip()
        if not line or line.startswith(("#", "import ", "from ")) or _TRIVIAL.match(line):
            continue
        lines.append((number, line))
    return lines


def tracked(root: Path) -> list[Path]:
    """The tree's Python files (git's list: not the models and environments tests build)."""
    listed = subprocess.run(["git", "ls-files", "--", *[f"{f}/*.py" for f in FOLDERS]], cwd=root,
                            capture_output=True, text=True, check=True).stdout.split()
    return [root / name for name in sorted(listed)]


def repeats(root: Path = ROOT) -> list[list[str]]:
    seen: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for path in tracked(root):
        lines = code_lines(path)
        for i in range(len(lines) - WINDOW + 1):
            window = tuple(text for _, text in lines[i:i + WINDOW])
            seen[window].append(f"{path.relative_to(root)}:{lines[i][0]}")
    return [places for places in seen.values() if len(places) > 1]


def test_no_block_of_code_is_repeated():
    assert repeats() == []


def test_the_check_finds_a_repeat(tmp_path):
    block = "\n".join(f"value_{i} = compute({i})" for i in range(WINDOW)) + "\n"
    (tmp_path / "tests").mkdir()
    for name in ("a.py", "b.py"):
        (tmp_path / "tests" / name).write_text(block)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    found = repeats(tmp_path)
    assert [sorted(p.split(":")[0] for p in places) for places in found] == [["tests/a.py", "tests/b.py"]]
