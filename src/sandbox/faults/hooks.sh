#!/usr/bin/env bash
# Every sandbox host's `docker`: the real docker CLI against the sandbox's engine, with one
# addition for the e2e tests, hooks that make an operation fail or wait. Nothing else is changed:
# no arguments are rewritten, and the real CLI runs in this very process (exec), so a signal
# sent to the pid a hold reports reaches it.
#
# Environment (from the host's bin/docker): DELPHI_DOCKER_CLI (the real CLI), DELPHI_HOST_DIR
# (the host's folder), DELPHI_HOST_SERVICES (the services of the host's project, for operations
# that name none), DOCKER_HOST and DOCKER_CONFIG (the sandbox's engine and compose plugin).
#
# Fault hooks: when <host>/faults/<name> exists, the operation fails with the file's content as
# its error message, before it reaches the engine. <name> is the compose verb (stop, up, start,
# restart, ps, logs, exec), <verb>.<service> (e.g. up.voiceai-telweb), or for exec:
# exec.<service>, exec.<program> (e.g. exec.pg_restore) or exec.<program>.<first argument without
# its dashes> (e.g. exec.pg_restore.clean for `pg_restore --clean ...`, not `pg_restore --list`).
# Hold hooks: when <host>/holds/<name> exists, the operation waits until that file is removed,
# and says so in holds/<name>.waiting (its pid).
# Stand-in hooks (the benchmarks' hosts of a fixed wall time): when <host>/standins/<name> exists,
# the operation never reaches the engine: it sleeps the file's seconds (no CPU), prints nothing
# and succeeds. A stand-in `ps` thus lists no running service.
set -uo pipefail
cli=${DELPHI_DOCKER_CLI:?}
dir=${DELPHI_HOST_DIR:?}
read -r -a host_services <<<"${DELPHI_HOST_SERVICES:-}"

names=()
if [[ ${1:-} == compose ]]; then
  args=("${@:2}")
  i=0
  # compose's own flags before the verb
  while ((i < ${#args[@]})); do
    case ${args[i]} in
      -f | --file | -p | --project-name | --project-directory | --ansi | --progress | --env-file | --profile) i=$((i + 2)) ;;
      -*) i=$((i + 1)) ;;
      *) break ;;
    esac
  done
  verb=${args[i]:-}
  rest=("${args[@]:i+1}")
  names+=("$verb")
  if [[ $verb == exec ]]; then
    j=0
    while ((j < ${#rest[@]})); do
      case ${rest[j]} in
        -e | --env | -w | --workdir | -u | --user | --index) j=$((j + 2)) ;;
        -*) j=$((j + 1)) ;;
        *) break ;;
      esac
    done
    svc=${rest[j]:-} prog=${rest[j + 1]:-} first=${rest[j + 2]:-}
    first=${first#-}
    first=${first#-}
    names+=("exec.$svc" "exec.${prog##*/}")
    [[ -n $first ]] && names+=("exec.${prog##*/}.${first%%=*}")
  elif [[ $verb =~ ^(up|stop|start|restart)$ ]]; then
    targets=()
    j=0
    while ((j < ${#rest[@]})); do
      case ${rest[j]} in
        -t | --timeout | --wait-timeout | --scale | --pull) j=$((j + 2)); continue ;;
        -*) ;;
        *) targets+=("${rest[j]}") ;;
      esac
      j=$((j + 1))
    done
    ((${#targets[@]})) || targets=("${host_services[@]}")
    for s in "${targets[@]}"; do names+=("$verb.$s"); done
  fi
fi

for n in "${names[@]}"; do
  [[ -n $n && -f $dir/holds/$n ]] || continue
  printf '%s\n' "$$" >"$dir/holds/$n.waiting"
  while [[ -f $dir/holds/$n ]]; do sleep 0.05; done
  rm -f "$dir/holds/$n.waiting"
done
for n in "${names[@]}"; do
  if [[ -n $n && -f $dir/standins/$n ]]; then
    secs=$(<"$dir/standins/$n")
    [[ $secs =~ ^[0-9]+(\.[0-9]+)?$ ]] && sleep "$secs"
    exit 0
  fi
done
for n in "${names[@]}"; do
  if [[ -n $n && -f $dir/faults/$n ]]; then
    msg=$(<"$dir/faults/$n")
    printf '%s\n' "${msg:-injected fault: $n}" >&2
    exit 1
  fi
done
exec "$cli" "$@"
