"""Evaluate the tone stage through the real engine (the `revive` CLI, out/cli/revive.js: npm run build:cli) and draw
the pictures for docs/training/tone.md.

    python3 training/eval_tone.py [--models-dir DIR] [--limit N] [--out docs/training]

--models-dir: a models folder whose manifest lists the tone model to test (default: the repo's models/); the CLI
reads it through REVIVE_MODELS_DIR. Validation photos: val/cbsd68, val/set14, val/mcmaster (never trained on).
Seeded sets, written as 8-bit PNG under ~/.cache/revive/tone_eval (rebuilt when the code changes them):
- print: print damage only (revive_train/print_damage.py; every 6th photo a black-and-white print, whose target
  is the neutral monochrome); scored: the input, the tone stage alone (--strength 0), the per-photo oracle affine
  colour fit (3x4 least squares to the answer);
- old: old-print damage: print damage, then blur (p 0.7), film grain (p 0.8) and JPEG (q 40-90); scored: the input,
  the whole restore, the tone stage alone, the restorer alone (--tone 0), the oracle affine fit;
- clean: the photos as they are, through the whole restore, the tone stage alone and the restorer alone;
- bw and sepia: the first N_MONO photos as faded black-and-white and faded sepia prints; the mean change of |a*| and
  |b*| (CIELAB, D65) from input to output, whole restore and tone stage alone;
- tiling: the whole restore of 6 old-set photos with --tile 256 against untiled (--tile 16384);
- cost: a 12 MP photo (old-photos/d.png enlarged) through the whole restore: the tone stage's own time
  (its --json `tone.ms`) against the photo's whole restore time, same run;
- the eight real old photos (old-photos/), before and after the whole restore, with crops.
Every run passes --tone explicitly (1, or 0 for the restorer alone), whatever the app's default; the tone stage alone
is --strength 0 --scratches off; the whole restore has the scratch stage at its default.
Writes <out>/tone_metrics.json and <out>/tone/*.png.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.data import list_images, load_rgb
from revive_train.metrics import psnr
from revive_train.print_damage import bw_print, levels, contrast_gamma, old_print, print_damage, tone
from revive_train.paths import DATASETS, DOCS, MODELS, ROOT
from revive_train.tone import oracle_affine

FOLDERS = ("val/cbsd68", "val/set14", "val/mcmaster")
CACHE = Path.home() / ".cache" / "revive" / "tone_eval"
CLI = ROOT / "out" / "cli" / "revive.js"
SET_VERSION = 1  # bump when the sets' recipe changes
N_MONO = 6  # photos in the black-and-white and the sepia sets
REUSABLE = ("old_restorer", "clean_restorer")  # runs without the tone stage: --reuse keeps their outputs


def to_u8(x: torch.Tensor) -> np.ndarray:
    return (x.clamp(0, 1) * 255 + 0.5).byte().permute(1, 2, 0).numpy()


def read(p) -> torch.Tensor:
    return load_rgb(p).float() / 255


def save(x: torch.Tensor, p: Path):
    p.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(to_u8(x)).save(p)


def build_sets(limit: int) -> dict:
    """Writes the seeded input sets (and targets) once; returns {set: [(name, input path, target path)]}."""
    root = CACHE / f"v{SET_VERSION}_{limit}"
    done = root / "done.json"
    if done.exists():
        return json.loads(done.read_text())
    files = [p for p in list_images(FOLDERS)]
    if limit:  # evenly spread over the folders
        files = [files[round(k * (len(files) - 1) / max(1, limit - 1))] for k in range(limit)]
    sets = {k: [] for k in ("print", "old", "clean", "bw", "sepia")}
    for i, p in enumerate(files):
        name = f"{p.parent.name}_{p.stem}"
        x = read(p)
        is_bw = i % 6 == 5
        target = bw_print(x) if is_bw else x
        save(target, root / "target" / f"{name}.png")
        tgt = str(root / "target" / f"{name}.png")
        rng = random.Random(10_000 + i)
        save(print_damage(target, rng, bw=is_bw), root / "print" / f"{name}.png")
        sets["print"].append((name, str(root / "print" / f"{name}.png"), tgt))
        rng = random.Random(20_000 + i)
        save(old_print(target, rng, bw=is_bw), root / "old" / f"{name}.png")
        sets["old"].append((name, str(root / "old" / f"{name}.png"), tgt))
        save(x, root / "clean" / f"{name}.png")
        sets["clean"].append((name, str(root / "clean" / f"{name}.png"), str(root / "clean" / f"{name}.png")))
        if i < N_MONO:
            rng = random.Random(30_000 + i)
            g = bw_print(contrast_gamma(levels(bw_print(x), rng).clamp(0, 1), rng).clamp(0, 1))
            save(g, root / "bw" / f"{name}.png")
            sets["bw"].append((name, str(root / "bw" / f"{name}.png"), tgt))
            save(tone(g, rng, amount=1.0), root / "sepia" / f"{name}.png")
            sets["sepia"].append((name, str(root / "sepia" / f"{name}.png"), tgt))
    done.write_text(json.dumps(sets))
    return sets


def run_cli(inputs: list, out: Path, models_dir: Path, *flags) -> dict:
    """revive restore <inputs> --out out --format png --json <flags>; returns {input path: json line}."""
    if out.exists():
        shutil.rmtree(out)
    env = dict(os.environ, REVIVE_MODELS_DIR=str(models_dir))
    # what is measured does not hang on the app's defaults: the stage on in full unless a run says otherwise, and
    # "the tone stage alone" (--strength 0) without the scratch stage either
    if "--tone" not in flags:
        flags = ("--tone", "1", *flags)
    if "--strength" in flags and flags[flags.index("--strength") + 1] == "0" and "--scratches" not in flags:
        flags = (*flags, "--scratches", "off")
    cmd = ["node", str(CLI), "restore", *inputs, "--out", str(out), "--format", "png", "--json", *flags]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(ROOT))
    lines = [json.loads(l) for l in res.stdout.splitlines() if l.startswith("{")]
    per = {l["input"]: l for l in lines if "input" in l}
    bad = [l for l in per.values() if l["status"] != "ok"]
    if res.returncode != 0 or bad or len(per) != len(inputs):
        raise SystemExit(f"revive restore failed ({res.returncode}): {bad[:2]} {res.stderr[-2000:]}")
    return per


def out_path(out: Path, inp: str) -> Path:
    return out / (Path(inp).stem + ".png")


def psnrs(items, out: Path = None) -> list:
    r = []
    for name, inp, tgt in items:
        y = read(out_path(out, inp)) if out else read(inp)
        r.append(psnr(y, read(tgt)))
    return r


def oracle(items) -> list:
    return [psnr(torch.from_numpy(to_u8(oracle_affine(read(i), read(t)))).permute(2, 0, 1).float() / 255, read(t))
            for _, i, t in items]


def stats(v: list) -> dict:
    a = np.array(v)
    return {"mean": round(float(a.mean()), 3), "worst": round(float(a.min()), 3), "median": round(float(np.median(a)), 3)}


def srgb_to_lab(x: np.ndarray) -> np.ndarray:
    """[H, W, 3] uint8 sRGB -> CIELAB (D65)."""
    c = x.astype(np.float64) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def chroma_change(items, out: Path) -> dict:
    da, db = [], []
    for _, inp, _ in items:
        a = srgb_to_lab(np.asarray(Image.open(inp).convert("RGB")))
        b = srgb_to_lab(np.asarray(Image.open(out_path(out, inp)).convert("RGB")))
        da.append(np.abs(b[..., 1]).mean() - np.abs(a[..., 1]).mean())
        db.append(np.abs(b[..., 2]).mean() - np.abs(a[..., 2]).mean())
    return {"mean_change_abs_a": round(float(np.mean(da)), 3), "mean_change_abs_b": round(float(np.mean(db)), 3),
            "max_change_abs_a": round(float(np.max(da)), 3), "max_change_abs_b": round(float(np.max(db)), 3)}


# ---- pictures -----------------------------------------------------------------------------------------------

def sheet(rows: list, labels: list, path: Path, width: int = 220):
    """rows: lists of PIL images (same count as labels); each scaled to `width`, a label row on top."""
    cells = [[im.resize((width, round(im.height * width / im.width)), Image.LANCZOS) for im in r] for r in rows]
    hs = [max(c.height for c in r) for r in cells]
    W, H = width * len(labels) + 4 * (len(labels) - 1), 18 + sum(hs) + 4 * len(rows)
    out = Image.new("RGB", (W, H), (255, 255, 255))
    d = ImageDraw.Draw(out)
    for j, l in enumerate(labels):
        d.text((j * (width + 4) + 4, 3), l, fill=(0, 0, 0))
    y = 18
    for r, h in zip(cells, hs):
        for j, c in enumerate(r):
            out.paste(c, (j * (width + 4), y))
        y += h + 4
    path.parent.mkdir(parents=True, exist_ok=True)
    out.save(path)


def crop(im: Image.Image, frac=0.3, zoom=2) -> Image.Image:
    w, h = im.size
    s = round(min(w, h) * frac)
    x, y = (w - s) // 2, (h - s) // 2
    return im.crop((x, y, x + s, y + s)).resize((s * zoom, s * zoom), Image.NEAREST)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models-dir", default=str(MODELS))
    ap.add_argument("--limit", type=int, default=30, help="photos per set, evenly spread over the val folders (0 = all 100)")
    ap.add_argument("--out", default=str(DOCS))
    ap.add_argument("--whole", type=int, default=10, help="photos of the old and clean sets that go through the local"
                    " network too (the whole restore, the restorer alone); the tone stage alone runs on all")
    ap.add_argument("--cost-mp", type=float, default=12, help="megapixels of the photo the stage's cost is measured on")
    ap.add_argument("--skip-12mp", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="keep the outputs of the runs without the tone stage")
    ap.add_argument("--only", default="", help="only these runs (comma-separated keys), e.g. to prepare --reuse")
    args = ap.parse_args()
    if not CLI.exists():
        raise SystemExit(f"{CLI} missing: run npm run build:cli")
    models = Path(args.models_dir)
    outdoc = Path(args.out)
    pics = outdoc / "tone"
    work = CACHE / "runs"
    t0 = time.time()
    sets = build_sets(args.limit)
    res, ins = {}, lambda k: [i for _, i, _ in sets[k]]

    def run(key, set_name, *flags):
        if key.endswith("_restorer"):
            flags = ("--tone", "0", *flags)
        o = work / key
        if args.reuse and key in REUSABLE and all(out_path(o, i).exists() for i in ins(set_name)):
            print(f"{key}: reused", flush=True)
            return o, None
        lines = run_cli(ins(set_name), o, models, *flags)
        print(f"{key}: {time.time() - t0:.0f}s", flush=True)
        return o, lines

    if args.only:
        for key in args.only.split(","):
            set_name = key.split("_")[0]
            run(key, set_name)
        return
    # print damage only: the tone stage alone
    o_print_tone, l_print = run("print_tone", "print", "--strength", "0")
    res["print"] = {"input": stats(psnrs(sets["print"])), "tone_stage": stats(psnrs(sets["print"], o_print_tone)),
                    "oracle_affine": stats(oracle(sets["print"]))}
    # old-print damage: the whole restore, and each part alone
    nw = args.whole
    sets["old_w"], sets["clean_w"] = sets["old"][:nw], sets["clean"][:nw]
    o_old_tone, _ = run("old_tone", "old", "--strength", "0")
    o_old_all, l_old = run("old_all", "old_w")
    o_old_rest, _ = run("old_restorer", "old_w")  # only the first nw are scored
    res["old"] = {"input": stats(psnrs(sets["old"])), "tone_stage": stats(psnrs(sets["old"], o_old_tone)),
                  "oracle_affine": stats(oracle(sets["old"])),
                  f"first_{nw}": {"input": stats(psnrs(sets["old_w"])),
                                  "whole_restore": stats(psnrs(sets["old_w"], o_old_all)),
                                  "tone_stage": stats(psnrs(sets["old_w"], o_old_tone)),
                                  "restorer_only": stats(psnrs(sets["old_w"], o_old_rest)),
                                  "oracle_affine": stats(oracle(sets["old_w"]))}}
    # clean photos
    o_cl_tone, l_clean = run("clean_tone", "clean", "--strength", "0")
    o_cl_all, _ = run("clean_all", "clean_w")
    o_cl_rest, _ = run("clean_restorer", "clean_w")
    res["clean"] = {"tone_stage": stats(psnrs(sets["clean"], o_cl_tone)),
                    "tone_applied": stats([l["tone"]["applied"] for l in l_clean.values()]),
                    "tone_applied_per_photo": {Path(k).stem: l["tone"]["applied"] for k, l in l_clean.items()},
                    f"first_{nw}": {"whole_restore": stats(psnrs(sets["clean_w"], o_cl_all)),
                                    "tone_stage": stats(psnrs(sets["clean_w"], o_cl_tone)),
                                    "restorer_only": stats(psnrs(sets["clean_w"], o_cl_rest))}}
    # black-and-white and sepia prints: chroma
    res["chroma"] = {}
    for s in ("bw", "sepia"):
        o_all, lines = run(f"{s}_all", s)
        o_tone, _ = run(f"{s}_tone", s, "--strength", "0")
        res["chroma"][s] = {"whole_restore": chroma_change(sets[s], o_all), "tone_stage": chroma_change(sets[s], o_tone),
                            "detected": sorted({l["tone"]["detected"] for l in lines.values()})}
    # tiled vs untiled, whole restore
    few = sets["old"][:1]
    tiled = run_cli([i for _, i, _ in few], work / "tiled", models, "--tile", "256")
    untiled = run_cli([i for _, i, _ in few], work / "untiled", models, "--tile", "16384")
    diffs = [int(np.abs(np.asarray(Image.open(out_path(work / "tiled", i)), dtype=np.int16)
                        - np.asarray(Image.open(out_path(work / "untiled", i)), dtype=np.int16)).max()) for _, i, _ in few]
    no_ms = lambda t: {k: v for k, v in t.items() if k != "ms"}
    tone_same = all(no_ms(tiled[i]["tone"]) == no_ms(untiled[i]["tone"]) for _, i, _ in few)
    res["tiling"] = {"max_abs_diff_levels_per_photo": diffs, "tone_summary_identical": tone_same}
    # the stage's cost on a big photo (12 MP by default)
    if not args.skip_12mp:
        w = round((args.cost_mp * 1e6 * 4 / 3) ** 0.5)
        h = round(w * 3 / 4)
        big = CACHE / "cost" / f"photo-{w}x{h}.png"
        if not big.exists():
            big.parent.mkdir(parents=True, exist_ok=True)
            Image.open(DATASETS / "old-photos" / "d.png").convert("RGB").resize((w, h), Image.BICUBIC).save(big)
        line = list(run_cli([str(big)], work / "cost", models).values())[0]
        res["cost"] = {"megapixels": round(w * h / 1e6, 2), "restore_ms": line["ms"], "tone_stage_ms": line["tone"]["ms"],
                       "share_percent": round(100 * line["tone"]["ms"] / line["ms"], 2)}
    # the real old photos
    old = sorted((DATASETS / "old-photos").glob("*.png"))
    o_real = work / "oldphotos"
    l_real = run_cli([str(p) for p in old], o_real, models)
    res["old_photos"] = {p.name: l_real[str(p)]["tone"] for p in old}
    rows = []
    for p in old:
        a = Image.open(p).convert("RGB")
        b = Image.open(o_real / p.name).convert("RGB")
        rows.append([a, b, crop(a), crop(b)])
    sheet(rows[:4], ["old photo", "Revive restore", "crop before", "crop after"], pics / "oldphotos_1.png")
    sheet(rows[4:], ["old photo", "Revive restore", "crop before", "crop after"], pics / "oldphotos_2.png")

    # examples
    def ex_rows(items, outs, n=5):
        r = []
        for name, inp, tgt in items[:n]:
            row = [Image.open(inp).convert("RGB")] + [Image.open(out_path(o, inp)).convert("RGB") for o in outs]
            orc = Image.fromarray(to_u8(oracle_affine(read(inp), read(tgt))))
            r.append(row + [orc, Image.open(tgt).convert("RGB")])
        return r
    pick = lambda items: [items[k] for k in (0, 3, 5, 8, 11, 14) if k < len(items)]
    sheet(ex_rows(pick(sets["print"]), [o_print_tone], 6), ["print damage", "tone stage", "oracle affine", "clean"],
          pics / "print_examples.png", 200)
    sheet(ex_rows(pick(sets["old_w"]), [o_old_rest, o_old_all], 6),
          ["old-print damage", "restorer only", "whole restore", "oracle affine", "clean"], pics / "old_examples.png", 180)
    fw = res["old"][f"first_{nw}"]
    res["gains_db"] = {"print_tone_stage": round(res["print"]["tone_stage"]["mean"] - res["print"]["input"]["mean"], 3),
                       "old_tone_stage": round(res["old"]["tone_stage"]["mean"] - res["old"]["input"]["mean"], 3),
                       f"old_whole_restore_first_{nw}": round(fw["whole_restore"]["mean"] - fw["input"]["mean"], 3)}
    res["photos"] = {k: len(v) for k, v in sets.items()}
    res["seconds"] = round(time.time() - t0)
    res["summary"] = {"print_gain_db": res["gains_db"]["print_tone_stage"],
                      "old_gain_db": res["gains_db"][f"old_whole_restore_first_{nw}"],
                      "clean_whole_mean_db": res["clean"][f"first_{nw}"]["whole_restore"]["mean"],
                      "clean_tone_stage_mean_db": res["clean"]["tone_stage"]["mean"]}
    outdoc.mkdir(parents=True, exist_ok=True)
    (outdoc / "tone_metrics.json").write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps({k: v for k, v in res.items() if k != "old_photos"}, indent=1))


if __name__ == "__main__":
    main()
