"""Where things are, once: the repository, the datasets (../shared/datasets or $REVIVE_DATASETS), the training runs
(~/.cache/revive/runs or $REVIVE_RUNS), the shipped models and the docs the evaluations write."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATASETS = Path(os.environ.get("REVIVE_DATASETS", ROOT.parent / "shared" / "datasets"))
RUNS = Path(os.environ.get("REVIVE_RUNS", Path.home() / ".cache" / "revive" / "runs"))
MODELS = ROOT / "models"
WEIGHTS = ROOT / "training" / "weights"
DOCS = ROOT / "docs" / "training"
SCRIPTS = ROOT / "training" / "scripts"


def portable(path) -> str:
    """A path as committed files record it: relative to the repository, to the runs folder ("runs/<run>/...") or to
    the home folder ("~/..."), never the absolute path of the machine it was made on."""
    p = Path(path).expanduser().resolve()
    for base, prefix in ((RUNS.resolve(), "runs"), (ROOT, ""), (Path.home().resolve(), "~")):
        try:
            rel = p.relative_to(base)
        except ValueError:
            continue
        return str(Path(prefix) / rel) if prefix else str(rel)
    return p.name
