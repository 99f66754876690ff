#!/usr/bin/env bash
# Draws docs/before-after.jpg: the bundled samples/ restored by the CLI with both shipped restore models, as a
# person sees them (whole photo, then a full-resolution crop). Run after a model changes: bash scripts/before-after.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npm run -s build:cli >/dev/null
node out/cli/revive.js restore samples --out "$tmp/clean" --format png --model restore-naf32-v2 >/dev/null
node out/cli/revive.js restore samples --out "$tmp/natural" --format png >/dev/null
/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
from pathlib import Path
from PIL import Image, ImageDraw

tmp = Path(sys.argv[1])
names = json.loads(Path("models/manifest.json").read_text())
label = {m["id"]: m["name"] for m in names["models"]}
cols = [("before", None), (label["restore-naf32-natural-v3"] + " (default)", "natural"),
        (label["restore-naf32-v2"], "clean")]
photos = sorted(p for p in Path("samples").glob("*.jpg"))
W, CROP, PAD, HEAD = 300, 180, 8, 22
rows = []
for p in photos:
    src = Image.open(p).convert("RGB")
    imgs = [src] + [Image.open(tmp / d / (p.stem + ".png")).convert("RGB") for _, d in cols[1:]]
    # whole photo scaled to W wide, and a crop at full resolution around the upper middle (faces in these samples)
    w, h = src.size
    cx, cy = w // 2, int(h * 0.38)
    box = (max(0, cx - CROP // 2), max(0, cy - CROP // 2), max(0, cx - CROP // 2) + CROP, max(0, cy - CROP // 2) + CROP)
    rows.append([(im.resize((W, round(h * W / w)), Image.LANCZOS), im.crop(box).resize((W, W), Image.NEAREST)) for im in imgs])
height = HEAD + sum(max(a.height for a, _ in r) + W + 3 * PAD for r in rows)
sheet = Image.new("RGB", (3 * W + 4 * PAD, height), (24, 24, 27))
d = ImageDraw.Draw(sheet)
for i, (title, _) in enumerate(cols):
    d.text((PAD + i * (W + PAD), 5), title, fill=(230, 230, 230))
y = HEAD
for r in rows:
    hh = max(a.height for a, _ in r)
    for i, (whole, crop) in enumerate(r):
        x = PAD + i * (W + PAD)
        sheet.paste(whole, (x, y))
        sheet.paste(crop, (x, y + hh + PAD))
    y += hh + W + 3 * PAD
sheet.save("docs/before-after.jpg", quality=92, subsampling=0)
print(f"wrote docs/before-after.jpg ({sheet.size[0]}x{sheet.size[1]}, {len(rows)} photos)")
PY
