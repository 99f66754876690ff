#!/usr/bin/env bash
# Every test of the project, in one run: the engine, CLI and app glue (vitest), the training package (pytest),
# and the renderer driven in Chromium against the real engine (vitest + playwright-core).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh || { echo "could not install the system packages the tests need"; exit 1; }
mkdir -p test/.tmp
passed=0 failed=0 status=0

count_vitest() { # reads vitest's JSON report
  local p f
  p=$(node -e "const r=require('./$1');console.log(r.numPassedTests)" 2>/dev/null || echo 0)
  f=$(node -e "const r=require('./$1');console.log(r.numFailedTests + (r.numTotalTestSuites && !r.success && !r.numFailedTests ? 1 : 0))" 2>/dev/null || echo 1)
  passed=$((passed + p)); failed=$((failed + f))
}

echo "== unit and integration tests (vitest)"
npx vitest run --reporter=default --reporter=json --outputFile=test/.tmp/vitest-unit.json || status=1
count_vitest test/.tmp/vitest-unit.json

echo "== training tests (pytest)"
/usr/bin/python3 -m pytest training/tests -q -p no:cacheprovider | tee test/.tmp/pytest.txt
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
p=$(grep -oE '[0-9]+ passed' test/.tmp/pytest.txt | tail -1 | grep -oE '[0-9]+' || echo 0)
f=$(grep -oE '[0-9]+ (failed|errors?)' test/.tmp/pytest.txt | awk '{s+=$1} END {print s+0}')
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))

echo "== renderer end-to-end tests (Chromium)"
npx electron-vite build >/dev/null && npx vitest run --config vitest.e2e.config.ts --reporter=default --reporter=json --outputFile=test/.tmp/vitest-e2e.json || status=1
count_vitest test/.tmp/vitest-e2e.json

[ "$failed" -gt 0 ] && status=1
echo
echo "all: $passed passed, $failed failed"
exit $status
