#!/usr/bin/env bash
# Reruns the refine evidence (docs/refine.md, docs/refine-*.png, bench/refine/evidence.json) and the refine speed
# benchmark (docs/BENCHMARKS.md '## Refine', bench/refine/bench.json) with whatever diffusion model models/ holds.
# Takes a few minutes on a 2-core CPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
npx jiti bench/refine/evidence.ts "$@"
npx jiti bench/refine/bench.ts --reps 3
