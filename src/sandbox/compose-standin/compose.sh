#!/usr/bin/env bash
# The sandbox's stand-in for `docker compose`. It acts on the compose project in the current
# folder, like the real CLI, and keeps real state there (.compose/: which services run, their
# logs), so the restore's commands can be run and checked without Docker. Bash, not Node: every
# restore step calls it over SSH, and a call must stay well under 200 ms. One service is real:
# voiceai-postgres is the sandbox's Postgres server, whose stop/start/restart/up are pg_ctl's (as
# the cluster's owner), and which `ps` shows running only while its postmaster is alive. Its
# `logs` include the tail of the real server log, so a failed recovery shows Postgres' own words.
#
# Environment (set by the host's bin/docker wrapper and the SSH session):
#   DELPHI_SANDBOX_DIR   the sandbox folder (.sandbox)
#   DELPHI_SANDBOX_HOST  which host this is (web, api, voice, ops, media, db)
#
# Every operation is appended to <sandbox>/hosts/<host>/compose.log as tab-separated fields:
#   <ISO time, ms> <host> <project> <verb> <services, comma-separated> <event> <detail>
# with event `start` when it begins and `ok` or `failed` when it ends.
#
# Fault hooks (for tests): when <sandbox>/hosts/<host>/faults/<name> exists, the operation fails
# with the file's content as its error message. <name> is the verb (stop, up, start, restart,
# ps, logs, exec), <verb>.<service> (e.g. up.voiceai-telweb), or exec.<program> for `exec`
# (e.g. exec.pg_restore), or exec.<program>.<first argument without its dashes> (e.g.
# exec.pg_restore.clean for `pg_restore --clean ...`, not `pg_restore --list`).
# When <sandbox>/hosts/<host>/holds/<name> exists, the operation waits before it runs until that
# file is removed, and says so in holds/<name>.waiting (its pid): a test can then act while a
# restore command is in flight (take a host down, send Ctrl-C, kill a program).
set -uo pipefail
export TZ=UTC LC_ALL=C

die() { printf '%s\n' "$*" >&2; exit 1; }

SANDBOX=${DELPHI_SANDBOX_DIR:-}
HOST=${DELPHI_SANDBOX_HOST:-}
[[ -n $SANDBOX && -d $SANDBOX ]] || die "docker (Delphi sandbox stand-in): DELPHI_SANDBOX_DIR is not set or missing; is the sandbox up?"
[[ -n $HOST && -d $SANDBOX/hosts/$HOST ]] || die "docker (Delphi sandbox stand-in): unknown host '${HOST}' (DELPHI_SANDBOX_HOST)"
HOST_DIR=$SANDBOX/hosts/$HOST
STANDIN_DIR=$SANDBOX/standin
# shellcheck source=/dev/null
source "$STANDIN_DIR/env" # SANDBOX_PG_BIN, SANDBOX_PGHOST, SANDBOX_PGPORT, SANDBOX_PGUSER, SANDBOX_PGDATABASE, SANDBOX_PGPASSFILE,
# SANDBOX_PG_DATA, SANDBOX_PG_LOG, SANDBOX_PG_CTL, SANDBOX_RUNUSER, SANDBOX_PG_RUNAS (the cluster's owner when we are root, else empty)

now() { # ISO 8601 UTC with milliseconds, without forking `date`
  local t=$EPOCHREALTIME
  printf -v NOW '%(%Y-%m-%dT%H:%M:%S)T.%sZ' "${t%.*}" "${t#*.}"
  NOW=${NOW:0:23}Z
}
oneline() { local s=${1//$'\t'/ }; s=${s//$'\n'/ }; printf '%s' "${s//$'\r'/ }"; }

PROJECT="" PROJECT_DIR=$PWD COMPOSE_FILE="" SERVICES=()

oplog() { # verb services event detail
  now
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$NOW" "$HOST" "${PROJECT:--}" "$1" "${2:--}" "$3" "$(oneline "${4:-}")" >>"$HOST_DIR/compose.log"
}

hold() { # names... : wait while a hold file exists for one of them
  local n
  for n in "$@"; do
    [[ -f $HOST_DIR/holds/$n ]] || continue
    printf '%s\n' "$$" >"$HOST_DIR/holds/$n.waiting"
    while [[ -f $HOST_DIR/holds/$n ]]; do sleep 0.05; done
    rm -f "$HOST_DIR/holds/$n.waiting"
  done
}

fault() { # names... : hold while held, then fail the operation when a fault file exists for one of them
  local n
  hold "$@"
  for n in "$@"; do
    if [[ -f $HOST_DIR/faults/$n ]]; then
      local msg
      msg=$(<"$HOST_DIR/faults/$n")
      oplog "$VERB" "$TARGET_CSV" failed "fault $n: $msg"
      die "${msg:-injected fault: $n}"
    fi
  done
}

load_project() {
  local f
  if [[ -z $COMPOSE_FILE ]]; then
    for f in compose.yaml compose.yml docker-compose.yml docker-compose.yaml; do
      [[ -f $PROJECT_DIR/$f ]] && { COMPOSE_FILE=$PROJECT_DIR/$f; break; }
    done
  fi
  [[ -n $COMPOSE_FILE && -f $COMPOSE_FILE ]] || die "no configuration file provided: not found"
  PROJECT_DIR=$(cd "$(dirname "$COMPOSE_FILE")" && pwd)
  local line in=0 name=""
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line =~ ^name:[[:space:]]*([A-Za-z0-9_.-]+) ]]; then name=${BASH_REMATCH[1]}; continue; fi
    if [[ $line =~ ^services:[[:space:]]*$ ]]; then in=1; continue; fi
    [[ $line =~ ^[^[:space:]#] ]] && in=0
    if ((in)) && [[ $line =~ ^\ \ ([A-Za-z0-9][A-Za-z0-9_.-]*):[[:space:]]*(#.*)?$ ]]; then SERVICES+=("${BASH_REMATCH[1]}"); fi
  done <"$COMPOSE_FILE"
  [[ -n $PROJECT ]] || PROJECT=${name:-$(basename "$PROJECT_DIR")}
  STATE=$PROJECT_DIR/.compose
  mkdir -p "$STATE/state" "$STATE/logs"
}

known() { local s; for s in "${SERVICES[@]}"; do [[ $s == "$1" ]] && return 0; done; return 1; }
container() { printf '%s-%s-1' "$PROJECT" "$1"; }
state_of() { # what ps shows: voiceai-postgres runs only while its postmaster does, whatever the state file says
  local s=created
  [[ -f $STATE/state/$1 ]] && read -r s _ <"$STATE/state/$1"
  [[ $1 == voiceai-postgres && $s == running ]] && ! pg_alive && s=exited
  printf '%s' "$s"
}
set_state() { now; printf '%s %s %s\n' "$2" "$NOW" "${3:-0}" >"$STATE/state/$1"; }
svc_log() { now; printf '%s\t%s\n' "$NOW" "$(oneline "$2")" >>"$STATE/logs/$1.log"; }
heartbeat() { now; printf '%s\t%s\t%s\t%s\n' "$NOW" "$HOST" "$1" "$PROJECT" >>"$SANDBOX/telemetry/heartbeats.log"; }
progress() { printf ' Container %s  %s\n' "$(container "$1")" "$2" >&2; }

lock_project() { exec 9>>"$STATE/lock"; flock -w 120 9 || die "another docker compose command holds $PROJECT_DIR for over 120s"; }

# Resolve the services an operation acts on: the named ones (each must exist), else all.
TARGETS=() TARGET_CSV=""
targets() {
  TARGETS=()
  local s
  if (($# == 0)); then TARGETS=("${SERVICES[@]}"); else
    for s in "$@"; do known "$s" || { oplog "$VERB" "$*" failed "no such service: $s"; die "no such service: $s"; }; TARGETS+=("$s"); done
  fi
  TARGET_CSV=$(IFS=,; printf '%s' "${TARGETS[*]}")
}

# voiceai-postgres is the sandbox's real Postgres server, so its stop and start are pg_ctl's: a
# restore that stops the database container (to swap its data directory) really stops it.
pg_alive() { # the pid in postmaster.pid is a live postmaster on our data directory (no fork)
  local pid args=() joined
  [[ -r $SANDBOX_PG_DATA/postmaster.pid ]] || return 1
  read -r pid <"$SANDBOX_PG_DATA/postmaster.pid" || return 1
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  mapfile -d '' args 2>/dev/null <"/proc/$pid/cmdline" || return 1
  joined=" ${args[*]} "
  # Whole word: a postmaster on data.pre-restore-<stamp> (the data set aside) is not ours.
  [[ $joined == *" $SANDBOX_PG_DATA "* ]]
}
pg_ctl_as() { # pg_ctl as the cluster's owner, from /, without the project lock's fd 9 (the postmaster would inherit and hold it)
  if [[ -n $SANDBOX_PG_RUNAS ]]; then
    (cd / && exec "$SANDBOX_RUNUSER" -u "$SANDBOX_PG_RUNAS" -- "$SANDBOX_PG_CTL" "$@") 9>&- </dev/null
  else
    (cd / && exec "$SANDBOX_PG_CTL" "$@") 9>&- </dev/null
  fi
}
PG_ERR=""
zombie() { # pid: ended, not yet reaped by its parent
  local st
  [[ -r /proc/$1/stat ]] || return 1
  read -r st <"/proc/$1/stat" || return 1
  st=${st##*) }
  [[ ${st:0:1} == Z ]]
}
# The real server's log, for errors and `docker compose logs`: where this start's lines begin.
PG_LOG_FROM=0
pg_log_size() { local s; s=$(stat -c %s "$SANDBOX_PG_LOG" 2>/dev/null) || s=0; printf '%s' "$s"; }
pg_log_new() { tail -c "+$((PG_LOG_FROM + 1))" "$SANDBOX_PG_LOG" 2>/dev/null; }
pg_log_gist() { # why this start failed, in Postgres' words: its own last 3 lines up to the last FATAL or PANIC
  local new lines
  # Its own lines (the log_line_prefix time), not a restore_command's stderr between them.
  new=$(pg_log_new | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ UTC ')
  lines=$(awk '{ l[NR] = $0 } /(FATAL|PANIC):/ { last = NR } END { if (!last) last = NR; for (i = (last > 2 ? last - 2 : 1); i <= last; i++) print l[i] }' <<<"$new")
  lines=${lines//$'\n'/ / }
  printf '%s' "${lines:-the server log says nothing}"
}
# Archive recovery (recovery.signal): hot standby makes pg_ctl -w return as soon as the data is
# consistent, while replay goes on, and a recovery that then ends before its target kills the
# server (FATAL) a moment later. So `up -d` waits for the outcome, as far as it is quick: the
# promotion (recovery.signal gone, read-write), a pause at the target, or the server's exit,
# which fails the start with Postgres' own message. Past SANDBOX_RECOVERY_WAIT seconds (a long
# replay) it returns with the server still recovering, as `up -d` of a real container would.
pg_recovery_outcome() { # -> 0 promoted, paused or still recovering; 1 the server exited
  local end=$((EPOCHSECONDS + ${SANDBOX_RECOVERY_WAIT:-60})) new
  while ((EPOCHSECONDS < end)); do
    if ! pg_alive; then
      PG_ERR="the server exited during recovery: $(pg_log_gist)"
      return 1
    fi
    new=$(pg_log_new)
    [[ ! -e $SANDBOX_PG_DATA/recovery.signal && $new == *"database system is ready to accept connections"* ]] && return 0
    [[ $new == *"pausing at the end of recovery"* || $new == *"recovery has paused"* ]] && return 0
    sleep 0.1
  done
  return 0
}
pg_server_start() { # -w -t 60: returns once crash recovery is done and it accepts connections
  local out pid i recovering=0
  pg_alive && return 0
  # A snapshot taken while the server ran holds that server's postmaster.pid, and Postgres refuses
  # to start while the pid in it exists. A postmaster stopped a moment ago (just before the data
  # was swapped) lingers as a zombie until its parent reaps it: wait for that, briefly.
  if [[ -r $SANDBOX_PG_DATA/postmaster.pid ]] && read -r pid <"$SANDBOX_PG_DATA/postmaster.pid" && [[ $pid =~ ^[0-9]+$ ]]; then
    for ((i = 0; i < 500; i++)); do zombie "$pid" || break; sleep 0.02; done
  fi
  [[ -e $SANDBOX_PG_DATA/recovery.signal ]] && recovering=1
  PG_LOG_FROM=$(pg_log_size)
  if out=$(pg_ctl_as -D "$SANDBOX_PG_DATA" -l "$SANDBOX_PG_LOG" -w -t 60 -s start 2>&1); then
    ((recovering)) || return 0
    pg_recovery_outcome
    return
  fi
  # pg_ctl only says "Examine the log output": the log's own lines say what went wrong.
  PG_ERR="$(oneline "${out:-pg_ctl start failed}"): $(oneline "$(pg_log_gist)")"
  return 1
}
pg_server_stop() {
  local out
  pg_alive || return 0
  out=$(pg_ctl_as -D "$SANDBOX_PG_DATA" -m fast -w -t 60 -s stop 2>&1) && return 0
  PG_ERR=$(oneline "${out:-pg_ctl stop failed}")
  return 1
}

pg() { # psql as the application role, password from the pgpass file (never on a command line)
  PGHOST=$SANDBOX_PGHOST PGPORT=$SANDBOX_PGPORT PGUSER=$SANDBOX_PGUSER PGDATABASE=$SANDBOX_PGDATABASE \
    PGPASSFILE=$SANDBOX_PGPASSFILE PGCONNECT_TIMEOUT=5 PGAPPNAME=voiceai-telweb \
    "$SANDBOX_PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"
}
pg_error() { # the first error line, without psql's "psql:<file>:<line>: " prefix
  local e
  e=$(grep -m1 -E 'ERROR|FATAL|error|could not' <<<"$1")
  e=${e:-$1}
  [[ $e == *ERROR:* ]] && e="ERROR:${e#*ERROR:}"
  [[ $e == *FATAL:* ]] && e="FATAL:${e#*FATAL:}"
  oneline "$e"
}

# TelWeb's container entrypoint: `prisma migrate deploy`, then the baseline seed, then serve.
telweb_start() {
  local svc=$1 out applied=() f name sum n=0 total=0
  svc_log "$svc" "> prisma migrate deploy"
  if ! out=$(pg -f "$STANDIN_DIR/prisma-migrations-table.sql" 2>&1) ||
    ! out=$(pg -c "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL" 2>&1); then
    svc_log "$svc" "migrate deploy failed: $(pg_error "$out")"
    return 1
  fi
  mapfile -t applied <<<"$out"
  shopt -s nullglob
  local files=("$PROJECT_DIR"/migrations/*.sql)
  svc_log "$svc" "migrate deploy: ${#files[@]} migrations found in migrations/"
  for f in "${files[@]}"; do
    name=$(basename "$f" .sql)
    total=$((total + 1))
    local a done_=0
    for a in "${applied[@]}"; do [[ $a == "$name" ]] && { done_=1; break; }; done
    ((done_)) && continue
    svc_log "$svc" "migrate deploy: applying migration \`$name\`"
    read -r sum _ < <(sha256sum "$f")
    # One transaction: the migration and its history row commit together or not at all.
    if ! out=$(pg -1 -v mname="$name" -v mchk="$sum" -f - 2>&1 <<SQL
\\i '${f//\'/\'\'}'
INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
VALUES (gen_random_uuid()::text, :'mchk', clock_timestamp(), :'mname', NULL, NULL, now(), 1);
SQL
    ); then
      svc_log "$svc" "migrate deploy failed: migration \`$name\`: $(pg_error "$out")"
      return 1
    fi
    n=$((n + 1))
  done
  svc_log "$svc" "migrate deploy: $n migrations applied"
  if ! out=$(pg -f "$PROJECT_DIR/seed/baseline.sql" 2>&1); then
    svc_log "$svc" "baseline-seed failed: $(pg_error "$out")"
    return 1
  fi
  svc_log "$svc" "baseline-seed: ok ($out setup registry entries added)"
  svc_log "$svc" "telweb listening on :3000"
}

start_service() { # svc force -> 0 started/running, 1 failed
  local svc=$1 force=$2
  # A recreate of the database container restarts the server.
  if [[ $svc == voiceai-postgres && $force == 1 && $(state_of "$svc") == running ]]; then stop_service "$svc" || return 1; fi
  if [[ $(state_of "$svc") == running && $force == 0 ]]; then
    progress "$svc" Running
    heartbeat "$svc"
    return 0
  fi
  progress "$svc" Starting
  svc_log "$svc" "starting $svc (image delphi/$svc:0.9.11)"
  if [[ $svc == voiceai-telweb ]]; then
    if ! telweb_start "$svc"; then
      set_state "$svc" exited 1
      svc_log "$svc" "$svc exited with code 1"
      progress "$svc" Error
      ERRORS+=("container $(container "$svc") exited (1): $(grep -E 'failed' "$STATE/logs/$svc.log" | tail -n 1 | cut -f2-)")
      return 1
    fi
  elif [[ $svc == voiceai-postgres ]]; then
    if ! pg_server_start; then
      set_state "$svc" exited 1
      svc_log "$svc" "pg_ctl start failed: $PG_ERR"
      progress "$svc" Error
      ERRORS+=("container $(container "$svc") exited (1): pg_ctl start failed: $PG_ERR")
      return 1
    fi
    svc_log "$svc" "database system is ready to accept connections"
  else
    svc_log "$svc" "$svc ready"
  fi
  set_state "$svc" running
  heartbeat "$svc"
  progress "$svc" Started
}

stop_service() { # svc -> 0 stopped (or was not running), 1 failed
  local svc=$1
  if [[ $svc == voiceai-postgres ]] && { [[ $(state_of "$svc") == running ]] || pg_alive; }; then
    progress "$svc" Stopping
    svc_log "$svc" "received SIGTERM, shutting down"
    if ! pg_server_stop; then
      svc_log "$svc" "pg_ctl stop failed: $PG_ERR"
      progress "$svc" Error
      ERRORS+=("stopping container $(container "$svc"): pg_ctl stop failed: $PG_ERR")
      return 1
    fi
    svc_log "$svc" "database system is shut down"
    set_state "$svc" exited 0
    progress "$svc" Stopped
  elif [[ $(state_of "$svc") == running ]]; then
    progress "$svc" Stopping
    svc_log "$svc" "received SIGTERM, shutting down"
    set_state "$svc" exited 0
    progress "$svc" Stopped
  fi
}

cmd_up() {
  local detach=0 force=0 args=()
  while (($#)); do
    case $1 in
      -d | --detach) detach=1 ;;
      --force-recreate) force=1 ;;
      --no-deps | --no-recreate | --no-build | --remove-orphans | --wait | --quiet-pull | --no-color) ;;
      --wait-timeout | --timeout | -t) shift ;;
      -*) die "unknown flag: $1" ;;
      *) args+=("$1") ;;
    esac
    shift
  done
  ((detach)) || die "the Delphi sandbox stand-in runs only detached: use 'docker compose up -d'"
  targets "${args[@]}"
  lock_project
  oplog up "$TARGET_CSV" start "up -d${args:+ ${args[*]}}"
  fault up "${TARGETS[@]/#/up.}"
  ERRORS=()
  local s rc=0
  for s in "${TARGETS[@]}"; do start_service "$s" "$force" || rc=1; done
  if ((rc)); then
    oplog up "$TARGET_CSV" failed "${ERRORS[*]}"
    printf 'Error response from daemon: %s\n' "${ERRORS[@]}" >&2
    return 1
  fi
  oplog up "$TARGET_CSV" ok ""
}

cmd_start() { targets "$@"; lock_project; oplog start "$TARGET_CSV" start ""; fault start "${TARGETS[@]/#/start.}"; ERRORS=(); local s rc=0; for s in "${TARGETS[@]}"; do start_service "$s" 0 || rc=1; done; if ((rc)); then oplog start "$TARGET_CSV" failed "${ERRORS[*]}"; printf 'Error response from daemon: %s\n' "${ERRORS[@]}" >&2; return 1; fi; oplog start "$TARGET_CSV" ok ""; }

cmd_stop() {
  local args=()
  while (($#)); do case $1 in -t | --timeout) shift ;; -*) die "unknown flag: $1" ;; *) args+=("$1") ;; esac; shift; done
  targets "${args[@]}"
  lock_project
  oplog stop "$TARGET_CSV" start ""
  fault stop "${TARGETS[@]/#/stop.}"
  ERRORS=()
  local s rc=0
  for s in "${TARGETS[@]}"; do stop_service "$s" || rc=1; done
  if ((rc)); then oplog stop "$TARGET_CSV" failed "${ERRORS[*]}"; printf 'Error response from daemon: %s\n' "${ERRORS[@]}" >&2; return 1; fi
  oplog stop "$TARGET_CSV" ok ""
}

cmd_restart() {
  local args=()
  while (($#)); do case $1 in -t | --timeout) shift ;; -*) die "unknown flag: $1" ;; *) args+=("$1") ;; esac; shift; done
  targets "${args[@]}"
  lock_project
  oplog restart "$TARGET_CSV" start ""
  fault restart "${TARGETS[@]/#/restart.}"
  ERRORS=()
  local s rc=0
  for s in "${TARGETS[@]}"; do
    if stop_service "$s"; then start_service "$s" 0 || rc=1; else rc=1; fi
  done
  if ((rc)); then oplog restart "$TARGET_CSV" failed "${ERRORS[*]}"; printf 'Error response from daemon: %s\n' "${ERRORS[@]}" >&2; return 1; fi
  oplog restart "$TARGET_CSV" ok ""
}

cmd_ps() {
  local all=0 quiet=0 only_services=0 format=table status="" args=()
  while (($#)); do
    case $1 in
      -a | --all) all=1 ;;
      -q | --quiet) quiet=1 ;;
      --services) only_services=1 ;;
      --format) format=$2; shift ;;
      --format=*) format=${1#--format=} ;;
      --status) status=$2; shift ;;
      --status=*) status=${1#--status=} ;;
      --no-trunc | --orphans) ;;
      -*) die "unknown flag: $1" ;;
      *) args+=("$1") ;;
    esac
    shift
  done
  targets "${args[@]}"
  oplog ps "$TARGET_CSV" start ""
  fault ps
  local s st since code line
  [[ $quiet == 1 || $only_services == 1 || $format != table ]] || printf '%-28s %-30s %-18s %-9s %s\n' NAME IMAGE SERVICE STATE STATUS
  for s in "${TARGETS[@]}"; do
    st=created since="" code=0
    [[ -f $STATE/state/$s ]] && read -r st since code <"$STATE/state/$s"
    [[ $s == voiceai-postgres && $st == running ]] && ! pg_alive && st=exited
    [[ -n $status && $st != "$status" ]] && continue
    [[ $all == 0 && -z $status && $st != running ]] && continue
    case $st in running) line="Up since $since" ;; exited) line="Exited ($code) since $since" ;; *) line="Created" ;; esac
    if ((only_services)); then printf '%s\n' "$s"
    elif ((quiet)); then printf '%s\n' "$(container "$s")"
    elif [[ $format == json ]]; then
      printf '{"Name":"%s","Project":"%s","Service":"%s","Image":"delphi/%s:0.9.11","State":"%s","Status":"%s","ExitCode":%s}\n' "$(container "$s")" "$PROJECT" "$s" "$s" "$st" "$line" "${code:-0}"
    else printf '%-28s %-30s %-18s %-9s %s\n' "$(container "$s")" "delphi/$s:0.9.11" "$s" "$st" "$line"; fi
  done
  oplog ps "$TARGET_CSV" ok ""
}

pg_log_lines() { # the last 200 lines of the real server log, as they are, each after "<ISO time>\t"
  [[ -r $SANDBOX_PG_LOG ]] || return 0
  # log_line_prefix starts with %m in UTC ("2026-01-25 02:00:07.891 UTC"); a line without it (a
  # restore_command's own stderr, a statement's next line) takes the time of the line before.
  tail -n 200 "$SANDBOX_PG_LOG" | awk '
    /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9][0-9][0-9] UTC / { t = substr($0, 1, 10) "T" substr($0, 12, 12) "Z" }
    { printf "%s\t%s\n", (t == "" ? "0000-00-00T00:00:00.000Z" : t), $0 }'
}

norm_time() { # docker's --since forms we accept: ISO 8601 (Z), a relative 30s/10m/2h, or anything `date -d` reads
  local t=$1
  if [[ $t =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]; then printf '%s.000Z' "${t%Z}"
  elif [[ $t =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$ ]]; then printf '%s' "$t"
  elif [[ $t =~ ^([0-9]+)([smh])$ ]]; then
    local n=${BASH_REMATCH[1]} mult=1
    case ${BASH_REMATCH[2]} in m) mult=60 ;; h) mult=3600 ;; esac
    printf '%(%Y-%m-%dT%H:%M:%S)T.000Z' $((EPOCHSECONDS - n * mult))
  else date -u -d "$t" +%Y-%m-%dT%H:%M:%S.%3NZ 2>/dev/null || die "invalid --since/--until time: $t"; fi
}

cmd_logs() {
  local since="" until="" stamps=0 prefix=1 tail="" args=()
  while (($#)); do
    case $1 in
      --no-color) ;;
      --since) since=$(norm_time "$2") || exit 1; shift ;;
      --since=*) since=$(norm_time "${1#--since=}") || exit 1 ;;
      --until) until=$(norm_time "$2") || exit 1; shift ;;
      --until=*) until=$(norm_time "${1#--until=}") || exit 1 ;;
      -t | --timestamps) stamps=1 ;;
      --no-log-prefix) prefix=0 ;;
      -n | --tail) tail=$2; shift ;;
      --tail=*) tail=${1#--tail=} ;;
      -f | --follow) die "the Delphi sandbox stand-in does not follow logs (-f); poll with --since instead" ;;
      -*) die "unknown flag: $1" ;;
      *) args+=("$1") ;;
    esac
    shift
  done
  targets "${args[@]}"
  oplog logs "$TARGET_CSV" start "${since:+since $since}"
  fault logs
  local s width=0 c
  for s in "${TARGETS[@]}"; do c=$(container "$s"); ((${#c} > width)) && width=${#c}; done
  for s in "${TARGETS[@]}"; do
    local src=("$STATE/logs/$s.log")
    if [[ $s == voiceai-postgres ]]; then
      # The container's output is the server's: its log's tail, merged with our lines by time.
      { [[ -f $STATE/logs/$s.log ]] && cat "$STATE/logs/$s.log"; pg_log_lines; } | sort -s -t $'\t' -k1,1 >"$STATE/logs/.pg.$$"
      src=("$STATE/logs/.pg.$$")
    fi
    [[ -f ${src[0]} ]] || continue
    c=$(container "$s")
    if [[ -n $tail && $tail != all ]]; then tail -n "$tail" "${src[0]}" >"$STATE/logs/.tail.$$"; src=("$STATE/logs/.tail.$$"); fi
    awk -F '\t' -v since="$since" -v until_="$until" -v c="$c" -v w="$width" -v stamps="$stamps" -v prefix="$prefix" '
      (since == "" || $1 >= since) && (until_ == "" || $1 < until_) {
        line = substr($0, index($0, "\t") + 1)
        printf "%s\t%s%s%s\n", $1, (prefix ? sprintf("%-" w "s  | ", c) : ""), (stamps ? $1 " " : ""), line
      }' "${src[@]}"
    rm -f "$STATE/logs/.tail.$$" "$STATE/logs/.pg.$$"
  done | sort -s -t $'\t' -k1,1 | cut -f2-
  oplog logs "$TARGET_CSV" ok ""
}

# The services' own commands, as the images would ship them.
voiceai_calls() {
  case ${1:-} in
    active) local n=0; [[ -f $STATE/active-calls ]] && read -r n <"$STATE/active-calls"; printf '%s\n' "${n:-0}" ;;
    test)
      [[ $(state_of voiceai-voice) == running ]] || die "test call to ${2:-?} failed: voiceai-voice is not running"
      printf 'test call to %s: answered by the sandbox IVR\n' "${2:-+15550100}" ;;
    *) die "usage: voiceai-calls active | test <number>" ;;
  esac
}

cmd_exec() {
  local envs=() workdir=/
  while (($#)); do
    case $1 in
      -T | --no-TTY | -d | --detach | --privileged | -i | --interactive) ;;
      -e | --env) envs+=("$2"); shift ;;
      -w | --workdir) workdir=$2; shift ;;
      -u | --user | --index) shift ;;
      -*) die "unknown flag: $1" ;;
      *) break ;;
    esac
    shift
  done
  (($# >= 2)) || die "usage: docker compose exec [-T] SERVICE COMMAND [ARGS...]"
  local svc=$1
  shift
  known "$svc" || { oplog exec "$svc" failed "no such service: $svc"; die "no such service: $svc"; }
  TARGET_CSV=$svc
  oplog exec "$svc" start "$*"
  local first=${2:-}
  first=${first#-}
  first=${first#-}
  fault exec "exec.$svc" "exec.$(basename "$1")" ${first:+"exec.$(basename "$1").${first%%=*}"}
  if [[ $(state_of "$svc") != running ]]; then oplog exec "$svc" failed "not running"; die "service \"$svc\" is not running"; fi
  local rc=0
  if [[ $svc == voiceai-voice && $1 == voiceai-calls ]]; then
    shift
    voiceai_calls "$@" || rc=$?
  else
    # The container's view: the database server of the sandbox, its client programs first on
    # PATH, and the host's paths (the backup folder is the same path inside and outside).
    (
      cd "$workdir" 2>/dev/null || cd /
      if [[ $svc == voiceai-postgres ]]; then
        export PATH="$SANDBOX_PG_BIN:$PATH" PGHOST=$SANDBOX_PGHOST PGPORT=$SANDBOX_PGPORT PGUSER=$SANDBOX_PGUSER \
          PGDATABASE=$SANDBOX_PGDATABASE PGPASSFILE=$SANDBOX_PGPASSFILE
      fi
      for e in "${envs[@]}"; do export "${e?}"; done
      "$@"
    ) || rc=$?
  fi
  if ((rc)); then oplog exec "$svc" failed "exit $rc: $*"; else oplog exec "$svc" ok "$*"; fi
  return "$rc"
}

cmd_config() {
  case ${1:-} in
    --services) printf '%s\n' "${SERVICES[@]}" ;;
    "") cat "$COMPOSE_FILE" ;;
    *) die "unknown flag: $1" ;;
  esac
}

# ---- main -------------------------------------------------------------------------------
[[ ${1:-} == compose ]] || die "docker (Delphi sandbox stand-in): only 'docker compose' is available here, not 'docker ${1:-}'"
shift
while (($#)); do
  case $1 in
    -f | --file) COMPOSE_FILE=$(realpath -m "$2"); shift ;;
    -p | --project-name) PROJECT=$2; shift ;;
    --project-directory) PROJECT_DIR=$(realpath -m "$2"); shift ;;
    --ansi | --progress) shift ;;
    -*) die "unknown flag: $1" ;;
    *) break ;;
  esac
  shift
done
VERB=${1:-}
[[ -n $VERB ]] || die "usage: docker compose [-f FILE] ps|stop|start|up -d|restart|logs|exec|config|version"
shift
if [[ $VERB == version ]]; then printf 'Docker Compose version v2.29.0 (Delphi sandbox stand-in)\n'; exit 0; fi
load_project
case $VERB in
  up) cmd_up "$@" ;;
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  restart) cmd_restart "$@" ;;
  ps) cmd_ps "$@" ;;
  logs) cmd_logs "$@" ;;
  exec) cmd_exec "$@" ;;
  config) cmd_config "$@" ;;
  *) die "docker compose $VERB is not supported by the Delphi sandbox stand-in (supported: ps, stop, start, up -d, restart, logs, exec, config, version)" ;;
esac
