import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from revive_train.config import RestorerConfig, from_dict  # noqa: E402

# the fields a config must have, with values the tests do not look at
REQUIRED = {"run": "test", "model": {}, "crop": 32, "batch": 4, "lr": 1e-3, "ema": 0.999, "steps": 100}


def config(cls=RestorerConfig, **kw):
    """A typed config with the given keys (the others: REQUIRED, then the dataclass defaults)."""
    return from_dict({**REQUIRED, **kw}, cls)
