"""revive_train.keep_tones is the engine's keepTones (src/core/restore/keep-tones.ts) in torch: same result on the
same tile, a broad shift limited to 3 levels, fine changes kept."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from revive_train.keep_tones import LIMIT, keep_tones
from revive_train.paths import ROOT

TS = """
import { keepTones, keepTonesScratch } from '%s';
import { readFileSync, writeFileSync } from 'node:fs';
const [w, h] = [%d, %d];
const x = new Float32Array(readFileSync('%s').buffer.slice(0));
const y = new Float32Array(readFileSync('%s').buffer.slice(0));
keepTones(y, w, h, x, w, h, new Float32Array(keepTonesScratch(w, h)));
writeFileSync('%s', Buffer.from(y.buffer));
"""


def sample(h=52, w=76):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, h, w, generator=g)
    yy = torch.linspace(0, 1, h)[:, None].expand(h, w)
    xx = torch.linspace(0, 1, w)[None].expand(h, w)
    return x, x + 0.05 * torch.stack([yy + xx, yy - xx, 0 * xx]) + 0.02 * torch.randn(3, h, w, generator=g)


def test_matches_the_engine(tmp_path):
    x, y = sample()
    h, w = x.shape[1:]
    fx, fy, fz, ts = (tmp_path / n for n in ("x.bin", "y.bin", "z.bin", "kt.ts"))
    x.numpy().astype(np.float32).tofile(fx)
    y.numpy().astype(np.float32).tofile(fy)
    ts.write_text(TS % (ROOT / "src/core/restore/keep-tones.ts", w, h, fx, fy, fz))
    subprocess.run(["npx", "jiti", str(ts)], check=True, cwd=str(ROOT), capture_output=True)
    z = torch.from_numpy(np.fromfile(fz, dtype=np.float32).reshape(3, h, w))
    assert (z - y).abs().max() > 10 / 255  # the engine did change it
    assert (z - keep_tones(y, x)).abs().max() < 1e-3 / 255


def test_broad_shift_limited_fine_change_kept():
    x = torch.rand(3, 64, 64) * 0.5
    assert abs((keep_tones(x + 0.1, x) - x).norm(dim=0).mean() - LIMIT) < 1e-4
    n = torch.randn(3, 64, 64, generator=torch.Generator().manual_seed(1)) * 0.05
    kept = keep_tones(x + n, x) - x
    assert (kept - n).abs().mean() < 0.01 * n.abs().mean()
