"""Run the code blocks of README.md and spec/**/*.md, so the documentation never rots.

Per document, every ```python block runs in order in one namespace, in a
fresh folder that holds ``tests/samples`` (a link to the repository's); every
line of a ```bash / ```console / ```sh block that starts with ``neurofiles ``
runs as a subprocess and must exit 0. A block right after a line
``<!-- no-test -->`` is skipped (for fragments that cannot run on their own).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

REPO = Path(__file__).resolve().parents[2]
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[ \t]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
NO_TEST = "<!-- no-test -->"
SHELL = {"bash", "sh", "shell", "console"}
NEEDS = {
    "neurofiles.plot(": "matplotlib",
    "neurofiles plot ": "matplotlib",
    "neurofiles.brian2": "brian2",
    ".parquet": "pyarrow",
}


def documents() -> list[Path]:
    """README.md and every spec document that has a block to run."""
    docs = [REPO / "README.md", *sorted((REPO / "spec").rglob("*.md"))]
    return [d for d in docs if any(lang == "python" or lang in SHELL for _, lang, _ in blocks(d))]


def blocks(path: Path) -> list[tuple[int, str, str]]:
    """``(line, language, code)`` of every fenced block not marked ``<!-- no-test -->``."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip().splitlines()
        if before and before[-1].strip() == NO_TEST:
            continue
        indent = match.group("indent")
        code = "".join(line.removeprefix(indent) for line in match.group("body").splitlines(keepends=True))
        found.append((text.count("\n", 0, match.start()) + 1, match.group("lang").lower(), code))
    return found


def _require(code: str) -> None:
    for needle, module in NEEDS.items():
        if needle in code:
            try:
                __import__(module)
            except ImportError:
                skip_or_fail(f"a documented example needs {module}")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "samples").symlink_to(REPO / "tests" / "samples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # brian2 2.9 calls deprecated pyparsing names
@pytest.mark.parametrize("doc", documents(), ids=lambda p: str(p.relative_to(REPO)))
def test_document_code_runs(doc, workdir):
    runnable = [b for b in blocks(doc) if b[1] == "python" or b[1] in SHELL]
    _require("".join(code for _, _, code in runnable))
    namespace: dict[str, object] = {"__name__": "__doc_example__"}
    ran = 0
    for line, lang, code in runnable:
        where = f"{doc.relative_to(REPO)}:{line}"
        if lang == "python":
            exec(compile(code, where, "exec"), namespace)  # noqa: S102 (our own documentation)
            ran += 1
            continue
        for command in code.splitlines():
            command = command.split(" #", 1)[0].strip()
            command = command.removeprefix("$ ")
            if not command.startswith("neurofiles "):
                continue
            args = shlex.split(command)[1:]
            proc = subprocess.run(
                [sys.executable, "-m", "neurofiles", *args],
                check=False,
                capture_output=True,
                text=True,
                timeout=300,
                env={**os.environ, "NEUROFILES_PROGRESS": "0"},
            )
            assert proc.returncode == 0, f"{where}: {command}\n{proc.stderr}"
            ran += 1
    assert ran > 0


def test_readme_and_plugin_contract_are_checked():
    names = {d.name for d in documents()}
    assert {"README.md", "plugins.md"} <= names


def test_readme_tour_is_ten_lines_and_runs_the_promised_calls():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    tour = readme[readme.index("## Tour") :]
    tour = tour[: tour.index("\n## ", 5)]
    python = next(code for _, lang, code in blocks(REPO / "README.md") if lang == "python" and code in tour)
    assert len(python.strip().splitlines()) <= 12
    for call in (
        "neurofiles.load(",
        "neurofiles.load_aer(",
        "neurofiles.read_atf(",
        "neurofiles.DataManager(",
    ):
        assert call in python
    assert "neurofiles info " in tour and "neurofiles convert " in tour and "neurofiles dm summary" in tour


def test_no_test_marker_skips_exactly_the_next_block(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("<!-- no-test -->\n```python\nraise SystemExit\n```\n\n```python\nx = 1\n```\n")
    assert [code for _, _, code in blocks(doc)] == ["x = 1\n"]


def test_readme_set_up_is_the_users_install_then_the_tests():
    """Two set-up commands: the user's install and a run on a shipped sample, then the tests."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    setup = readme[readme.index("## Set up") : readme.index("## Tour")]
    commands = [code.strip() for _, lang, code in blocks(REPO / "README.md") if lang == "bash" and code in setup]
    assert len(commands) == 2
    install, tests = commands
    assert install.startswith(("pip install -e . &&", 'pip install -e ".[all]" &&')) and "[test]" not in install
    assert "neurofiles info tests/samples/" in install
    assert tests == 'pip install -e ".[test]" && pytest'
    assert "skipped" in setup and "NEUROFILES_TESTDATA" in setup and "SOURCES.md" in setup


def test_readme_tour_writes_only_into_an_ignored_folder():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    tour = readme[readme.index("## Tour") :]
    tour = tour[: tour.index("\n## ", 5)]
    outputs = re.findall(r"neurofiles (?:convert \S+|plot \S+ -o) (\S+)", tour)
    assert outputs and all(o.startswith("results/") for o in outputs)
    assert 'DataManager("tour", "results")' in tour
    assert "results/" in (REPO / ".gitignore").read_text(encoding="utf-8").split()
