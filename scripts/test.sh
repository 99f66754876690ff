#!/usr/bin/env bash
# Every check of the project, in one run: lint (eslint with the layer rules, svelte-check, tsc), the engine, CLI and
# app glue (vitest), the training package (pytest), and the renderer driven in Chromium against the real engine
# (vitest + playwright-core). Each run starts from no reports: a step that cannot run counts as failed, never with
# the numbers of an earlier run.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh || { echo "could not install the system packages the tests need"; exit 1; }
mkdir -p test/.tmp
rm -f test/.tmp/vitest-unit.json test/.tmp/vitest-e2e.json test/.tmp/pytest.txt
passed=0 failed=0 status=0

count_vitest() { # reads vitest's JSON report
  local p f
  p=$(node -e "const r=require('./$1');console.log(r.numPassedTests)" 2>/dev/null || echo 0)
  # a skipped or todo test counts as failed: every test runs on every machine (nothing is left to ../shared)
  f=$(node -e "const r=require('./$1');console.log(r.numFailedTests + r.numPendingTests + r.numTodoTests + (r.numTotalTestSuites && !r.success && !r.numFailedTests ? 1 : 0))" 2>/dev/null || echo 1)
  passed=$((passed + p)); failed=$((failed + f))
}

echo "== lint (eslint, svelte-check, tsc)"
for check in "npx eslint ." "npx svelte-check --tsconfig ./tsconfig.web.json --fail-on-warnings" "npx tsc -p tsconfig.node.json --noEmit"; do
  if $check; then passed=$((passed + 1)); else echo "FAILED: $check"; failed=$((failed + 1)); status=1; fi
done

echo "== unit and integration tests (vitest)"
npx vitest run --reporter=default --reporter=json --outputFile=test/.tmp/vitest-unit.json || status=1
count_vitest test/.tmp/vitest-unit.json

echo "== training tests (pytest)"
/usr/bin/python3 -m pytest training/tests -q -p no:cacheprovider | tee test/.tmp/pytest.txt
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
p=$(grep -oE '[0-9]+ passed' test/.tmp/pytest.txt | tail -1 | grep -oE '[0-9]+' || echo 0)
f=$(grep -oE '[0-9]+ (failed|errors?|skipped)' test/.tmp/pytest.txt | awk '{s+=$1} END {print s+0}')
grep -qE '[0-9]+ passed' test/.tmp/pytest.txt || f=$((f + 1)) # pytest did not get to run the tests
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))

echo "== renderer end-to-end tests (Chromium)"
if npx electron-vite build >/dev/null; then
  npx vitest run --config vitest.e2e.config.ts --reporter=default --reporter=json --outputFile=test/.tmp/vitest-e2e.json || status=1
  count_vitest test/.tmp/vitest-e2e.json
else
  echo "FAILED: electron-vite build (the end-to-end tests did not run)"
  failed=$((failed + 1)); status=1
fi

[ "$failed" -gt 0 ] && status=1
echo
echo "all: $passed passed, $failed failed"
exit $status
