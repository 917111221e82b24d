#!/usr/bin/env bash
# `npm run demo`: set-up, a fresh local sandbox deployment, tenant writes after the nightly dump
# (the data a restore loses), then the operator's commands: preflight, preview, up, report.
# Where the engine cannot run remote commands on this machine (docs/toolchain.md), the restore
# itself is performed by the same planned commands over plain SSH, and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck source=/dev/null
. .tools/env.sh
dr() { printf '\n$ delphi-restore %s\n' "$*"; bin/delphi-restore "$@"; }
banner() { printf '\n======== %s\n' "$*"; }
# TypeScript through tsx, with the same ESM preload the delphi-restore command uses (bin/).
run_ts() { node --require ./bin/esm-preload.cjs --import tsx "$@"; }

banner "1. A local Delphi deployment (Postgres, six SSH hosts, compose stand-ins, TelWeb, telemetry)"
dr sandbox up --recreate
dr secrets --stack sandbox --file .sandbox/secrets.json

banner "2. The incident: tenants keep writing after last night's dump (these rows will be lost)"
run_ts scripts/demo-incident.ts

banner "3. Preflight (read-only)"
dr preflight --stack sandbox

banner "4. Preview: the blast radius, then the engine"
set +e
dr preview --stack sandbox
code=$?
set -e
if [ "$code" = 0 ]; then
  banner "5. The restore through the engine"
  dr up --stack sandbox --yes
  dr status --stack sandbox
  dr report --stack sandbox
elif [ "$code" = 4 ]; then
  banner "5. The restore, by hand: the engine cannot run remote commands here (exit 4 above), so the"
  printf '   same planned commands run over plain SSH, step by step (bench/by-hand.ts)\n\n'
  run_ts scripts/demo-by-hand.ts
else
  exit "$code"
fi
banner "Done. The sandbox is still up to look around; stop it with: bin/delphi-restore sandbox down"
