#!/usr/bin/env bash
# `npm run demo`: set-up, a fresh local sandbox deployment, tenant writes after the nightly dump
# (the data a restore loses), then the operator's commands: preflight, preview, up (the restore,
# through the Pulumi engine), status, report, and a second up that has nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck source=/dev/null
. .tools/env.sh
dr() { printf '\n$ delphi-restore %s\n' "$*"; bin/delphi-restore "$@"; }
banner() { printf '\n======== %s\n' "$*"; }
# TypeScript through tsx, with the same ESM preload the delphi-restore command uses (bin/).
run_ts() { node --require ./bin/esm-preload.cjs --import tsx "$@"; }

banner "1. A local Delphi deployment on a Docker engine of its own (six SSH hosts, each a compose project: Postgres, TelWeb, API, Voice, Ops, Media; telemetry)"
# A new sandbox is a new deployment: the state a previous demo left in this checkout's `sandbox`
# stack would make this restore a re-run of that finished one (same restore key: the newest dump),
# and a re-run runs only what did not finish. So the stack starts afresh.
pulumi stack rm sandbox --yes --force >/dev/null 2>&1 || true
dr sandbox up --recreate
dr secrets --stack sandbox --file .sandbox/secrets.json

banner "2. The incident: tenants keep writing after last night's dump (these rows will be lost)"
run_ts scripts/demo-incident.ts

banner "3. Preflight (read-only)"
dr preflight --stack sandbox

banner "4. Preview: the blast radius, then the engine's own preview (changes nothing)"
dr preview --stack sandbox

banner "5. The restore through the Pulumi engine (every host command a resource, run over SSH)"
before_up=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
dr up --stack sandbox --yes
dr status --stack sandbox

banner "5b. What the sandbox's Docker engine recorded during the restore (its own events)"
dr sandbox events --since "$before_up"

banner "6. The notice for tenant admins"
dr report --stack sandbox

banner "7. Up again: nothing changed, so no command runs"
dr up --stack sandbox --yes | tail -n 3

banner "Done. The sandbox is still up to look around; stop it with: bin/delphi-restore sandbox down"
