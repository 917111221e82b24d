#!/usr/bin/env bash
# The one test command (`npm test`): installs what is missing (scripts/setup.sh), then type-checks
# and runs the unit tests and the end-to-end tests (real Postgres, real sshd, the real engine).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
bash scripts/setup.sh
# shellcheck source=/dev/null
. .tools/env.sh
printf '\n==> type check\n'
tsc --noEmit -p tsconfig.json
printf '\n==> unit tests\n'
vitest run --config vitest.config.mts
printf '\n==> end-to-end tests (sandbox on loopback, real engine)\n'
# Every file but the sandbox's own on one Docker engine the suite starts once; then the sandbox's
# test on an engine of its own, so it sees the last sandbox down stop the engine.
vitest run --config vitest.e2e.config.mts --exclude test/e2e/sandbox.test.ts
DELPHI_E2E_OWN_ENGINE=1 vitest run --config vitest.e2e.config.mts test/e2e/sandbox.test.ts
printf '\n==> all tests passed in %ss\n' "$((SECONDS - started))"
