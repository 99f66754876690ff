"""PyTorch side of test/integration/refine-parity.test.ts: training/revive_train/diffusion.py's sdedit on the
fixture UNet (rebuilt from test/fixtures/models/make_diffusion_fixture.py), with every torch.randn draw taken, in
order, from noise the TypeScript test wrote. Usage: /usr/bin/python3 refine_parity_ref.py spec.json

spec: {cases: [{guide, mask?, noise, shape: [1,3,H,W], strength, steps, eta, out}], timesteps_out}
Writes each case's result (float32) to `out` and out + '.json' = {draws}; timesteps_out = ddim_timesteps over a grid.
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "test" / "fixtures" / "models"))
from make_diffusion_fixture import build  # noqa: E402
from revive_train import diffusion  # noqa: E402


def main():
    spec = json.loads(Path(sys.argv[1]).read_text())
    torch.set_num_threads(1)
    model = build()
    sched = diffusion.Schedule()
    real_randn = torch.randn
    for case in spec["cases"]:
        shape = case["shape"]
        guide = torch.from_numpy(np.fromfile(case["guide"], dtype="<f4").reshape(shape))
        mask = None
        if case.get("mask"):
            mask = torch.from_numpy(np.fromfile(case["mask"], dtype="<f4").reshape([1, 1] + shape[2:]))
        noise = np.fromfile(case["noise"], dtype="<f4")
        pos = [0]

        def fed_randn(size, generator=None, device=None, **kw):
            n = int(np.prod(size))
            if pos[0] + n > noise.size:
                raise RuntimeError("the test fed too little noise")
            a = torch.from_numpy(noise[pos[0]:pos[0] + n].copy()).reshape(tuple(size))
            pos[0] += n
            return a

        torch.randn = fed_randn
        try:
            out = diffusion.sdedit(model, guide, case["strength"], case["steps"], sched, eta=case["eta"], mask=mask,
                                     jumps=case.get("jumps", 0))
        finally:
            torch.randn = real_randn
        out.numpy().astype("<f4").tofile(case["out"])
        Path(case["out"] + ".json").write_text(json.dumps({"draws": pos[0] // int(np.prod(shape))}))
    grid = {f"{t0},{s}": diffusion.ddim_timesteps(t0, s) for t0 in range(1, 1000, 7) for s in (1, 2, 3, 7, 20, 50, 100)}
    Path(spec["timesteps_out"]).write_text(json.dumps(grid))


if __name__ == "__main__":
    main()
