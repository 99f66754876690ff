"""A short experiment to choose DiffLoss's t range and lambda weights with the frozen prior.

    python3 training/probe_diffloss.py --prior ~/.cache/revive/prior_frozen/diffusion_cpu_ema.pt \
        [--out docs/training/diffloss_probe.json]

On training crops (never the val set) with their synthetic degradations, for t drawn in each bucket:
- cos_nat / cos_sem: cosine between -grad_z L and the direction to the clean image (x - z), per image, averaged:
  does the term pull a degraded image towards the clean one?
- ratio_nat / ratio_sem: ||grad_z L_term|| / ||grad_z L_pix|| (Charbonnier): how big the term's pull is next to
  the pixel loss's, which sets lambda for a chosen share.
- descent_db: PSNR change after 10 normalised gradient steps on z using L_nat alone (image-space optimisation
  from the degraded crop): does following the term alone restore?
z is evaluated at two points: the degraded input ("deg") and a half-restored image z = (x + deg) / 2 ("half"),
closer to what the network produces during training.
"""
import argparse
import json
import random
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.data import TRAIN_FOLDERS, CropSampler, list_images, load_rgb
from revive_train.degrade import degrade_batch
from revive_train.diffloss import DiffLoss, charbonnier, load_prior
from revive_train.metrics import psnr

BUCKETS = [(0, 25), (25, 75), (75, 150), (150, 300), (300, 500), (500, 999)]


def grads(crit, z, x, t, noise):
    z = z.clone().requires_grad_(True)
    nat, sem = crit.prior_terms(z, x, t=t, noise=noise)
    g_nat = torch.autograd.grad(nat, z, retain_graph=True)[0]
    g_sem = torch.autograd.grad(sem, z)[0]
    zp = z.detach().clone().requires_grad_(True)
    g_pix = torch.autograd.grad(charbonnier(zp, x), zp)[0]
    return g_nat, g_sem, g_pix, nat.item(), sem.item()


def cos(g, d):
    return torch.nn.functional.cosine_similarity((-g).flatten(1), d.flatten(1), dim=1).mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prior", required=True)
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--crop", type=int, default=64)
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    torch.manual_seed(0)
    unet, info = load_prior(Path(args.prior).expanduser())
    crit = DiffLoss(unet)
    sampler = CropSampler([load_rgb(p) for p in list_images(TRAIN_FOLDERS)[::5]], size=args.crop, seed=123)
    x = sampler.batch(args.n)
    deg = degrade_batch(x, random.Random(321), p_clean=0.0)
    half = (x + deg) / 2
    g = torch.Generator().manual_seed(7)
    rows = []
    for lo, hi in BUCKETS:
        row = {"t": [lo, hi]}
        for name, z in (("deg", deg), ("half", half)):
            acc = {"cos_nat": 0.0, "cos_sem": 0.0, "ratio_nat": 0.0, "ratio_sem": 0.0, "nat": 0.0, "sem": 0.0}
            reps = 2
            for _ in range(reps):
                t = torch.randint(lo, hi + 1, (args.n,), generator=g)
                noise = torch.randn(x.shape, generator=g)
                g_nat, g_sem, g_pix, nat, sem = grads(crit, z, x, t, noise)
                d = x - z
                acc["cos_nat"] += cos(g_nat, d) / reps
                acc["cos_sem"] += cos(g_sem, d) / reps
                acc["ratio_nat"] += (g_nat.norm() / g_pix.norm()).item() / reps
                acc["ratio_sem"] += (g_sem.norm() / g_pix.norm()).item() / reps
                acc["nat"] += nat / reps
                acc["sem"] += sem / reps
            row[name] = {k: round(v, 5) for k, v in acc.items()}
        # image-space descent on L_nat alone from the degraded crops, step normalised per image
        z = deg.clone()
        for _ in range(10):
            t = torch.randint(lo, hi + 1, (args.n,), generator=g)
            noise = torch.randn(x.shape, generator=g)
            zz = z.clone().requires_grad_(True)
            nat, _ = crit.prior_terms(zz, x, t=t, noise=noise)
            gr = torch.autograd.grad(nat, zz)[0]
            gr = gr / gr.flatten(1).norm(dim=1).view(-1, 1, 1, 1).clamp(min=1e-12)
            z = (z - 0.5 * gr).detach()  # 0.5 = about 1/5 of a typical ||x - deg|| on a 64 px crop
        row["descent_db"] = round(psnr(z.clamp(0, 1), x) - psnr(deg, x), 3)
        rows.append(row)
        print(json.dumps(row), flush=True)
    res = {"prior": info, "n": args.n, "crop": args.crop, "rows": rows,
           "start_psnr": psnr(deg, x), "dist_deg": (x - deg).flatten(1).norm(dim=1).mean().item()}
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
