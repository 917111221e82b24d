#!/usr/bin/env bash
# Installs what this project needs and is missing; safe to re-run (every step checks first).
#   - Debian packages for the sandbox: postgresql, openssh-server/-client, btrfs-progs (for the
#     sandbox's btrfs data volume, `sandbox up --volume btrfs`), docker.io (the engine the sandbox's
#     hosts run their services on) and debootstrap (its images' base) (apt-get, as root)
#   - the docker compose v2 plugin (Debian has none), built from the Go module proxy at the version
#     in toolchain/compose/VERSION and cached per user like the Pulumi CLI
#   - npm packages, including Node 22 from the npm registry's `node` package (system Node is 20)
#   - the Pulumi CLI at the version package.json pins for @pulumi/pulumi: the one on PATH when
#     it is that version, else built from the Go module proxy (toolchain/pulumi) and cached per
#     user, so a second checkout or CI run reuses it
#   - the command provider at @pulumi/command's version, when the Go module proxy serves it: only
#     the optional `pulumi-command` transport needs it (the default `ssh` transport runs every
#     remote command through this project's own dynamic resource)
# It writes .tools/env.sh (PATH and engine settings) and .tools/toolchain.json (what was found).
# A piece that cannot be had here is reported as MISSING with the reason; the script then exits 0
# unless --require-command-provider is given, so that everything that does not need it still runs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REQUIRE_COMMAND_PROVIDER=0
case "${1:-}" in --require-command-provider | --require-engine) REQUIRE_COMMAND_PROVIDER=1 ;; esac

started=$SECONDS
step() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\nsetup: FAILED: %s\n' "$*" >&2; exit 1; }
elapsed() { printf '%ss' "$((SECONDS - $1))"; }

# Build a Go package from a module folder (one of toolchain/'s wrapper modules, or a module's own
# folder in the module cache) into the per-user cache, once: a lock per binary keeps two set-ups
# (two checkouts, CI) from building it at the same time, and the binary appears only when whole
# (built to .tmp, then moved). The version is stamped as upstream does, into the given variable
# (Pulumi's by default). CGO_ENABLED and the like come from the caller's environment.
go_build_cached() { # cached-binary module-dir -mod-flag version package what [version-variable]
  local cached=$1 dir=$2 modflag=$3 version=$4 pkg=$5 what=$6 t=$SECONDS
  local version_var=${7:-github.com/pulumi/pulumi/sdk/v3/go/common/version.Version}
  command -v go >/dev/null 2>&1 || die "Go is needed to build $what from the Go module proxy"
  mkdir -p "$(dirname "$cached")"
  exec 9>"$(dirname "$cached").lock"
  flock 9
  if [ ! -x "$cached" ]; then
    (cd "$dir" && GOTOOLCHAIN=local GOFLAGS="-mod=$modflag" go build -trimpath \
      -ldflags "-s -w -X $version_var=$version" \
      -o "$cached.tmp" "$pkg") || die "building $what failed (see the go output above)"
    mv "$cached.tmp" "$cached"
  fi
  flock -u 9
  info "built in $(elapsed "$t")"
}

# The three Go builds (the Pulumi CLI, the compose plugin, the language host) are the slow part of a
# first set-up (6-11 min on 2 cores), and they need nothing the other steps install (Go is on the
# machine; the versions are read from package.json and toolchain/ with sed). So they start first,
# side by side in the background, while apt-get and npm fetch their packages: on a fresh machine
# that is minutes less than one after the other. Each writes its own log, shown when it fails.
CACHE="${DELPHI_RESTORE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/delphi-restore}"
mkdir -p .tools/bin .tools/logs "$CACHE"
pinned() { sed -n "s|^ *\"$1\": \"\([^\"]*\)\".*|\1|p" package.json | head -1; }
PULUMI_VERSION=$(pinned @pulumi/pulumi)
COMMAND_VERSION=$(pinned @pulumi/command)
COMPOSE_VERSION=$(tr -d ' \n' <toolchain/compose/VERSION)
LANGHOST_VERSION=$(sed -n 's|^require github.com/pulumi/pulumi/sdk/v3 \(v[0-9.]*\)$|\1|p' toolchain/language-nodejs/go.mod)
[ -n "$PULUMI_VERSION" ] && [ -n "$COMMAND_VERSION" ] || die "package.json pins no @pulumi/pulumi or @pulumi/command version"
cli_cached="$CACHE/pulumi-v$PULUMI_VERSION/pulumi"
compose_bin="$CACHE/compose-v$COMPOSE_VERSION/docker-compose"
langhost_cached="$CACHE/language-nodejs-$LANGHOST_VERSION/pulumi-language-nodejs"
# A CLI of the pinned version and a language host already on PATH (not this checkout's links) are
# used instead of building; looked up once (`pulumi version` is a CLI start).
cli_on_path=$(command -v pulumi 2>/dev/null || true)
if [ -z "$cli_on_path" ] || [ "$cli_on_path" = "$ROOT/.tools/bin/pulumi" ] || [ "$(pulumi version 2>/dev/null)" != "v$PULUMI_VERSION" ]; then cli_on_path=""; fi
langhost_on_path=$(command -v pulumi-language-nodejs 2>/dev/null || true)
[ "$langhost_on_path" != "$ROOT/.tools/bin/pulumi-language-nodejs" ] || langhost_on_path=""
build_cli() {
  grep -q "github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION\$" toolchain/pulumi/go.mod \
    || die "toolchain/pulumi/go.mod does not pin pkg/v3 v$PULUMI_VERSION (package.json's @pulumi/pulumi)"
  go_build_cached "$cli_cached" toolchain/pulumi mod "v$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "the Pulumi CLI v$PULUMI_VERSION"
}
# Debian ships no compose v2. Its module is on the Go module proxy, but `go install` refuses it
# (its go.mod has exclude directives), so the module is downloaded and built inside its own folder
# of the module cache, into the per-user cache, once per version (a lock keeps two set-ups apart).
build_compose() {
  local mod_dir
  command -v go >/dev/null 2>&1 || die "Go is needed to build the docker compose plugin from the Go module proxy"
  mod_dir=$(GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "github.com/docker/compose/v2@v$COMPOSE_VERSION" \
    | sed -n 's|^[[:space:]]*"Dir": "\(.*\)",$|\1|p')
  [ -n "$mod_dir" ] || die "the Go module proxy did not serve github.com/docker/compose/v2@v$COMPOSE_VERSION"
  CGO_ENABLED=0 go_build_cached "$compose_bin" "$mod_dir" readonly "v$COMPOSE_VERSION" ./cmd \
    "the docker compose plugin v$COMPOSE_VERSION" github.com/docker/compose/v2/internal.Version
}
build_langhost() {
  [ -n "$LANGHOST_VERSION" ] || die "toolchain/language-nodejs/go.mod does not pin github.com/pulumi/pulumi/sdk/v3"
  # -mod=readonly: go.sum is complete, so the build needs only the proxy and changes no file here.
  go_build_cached "$langhost_cached" toolchain/language-nodejs readonly "$LANGHOST_VERSION" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs "pulumi-language-nodejs $LANGHOST_VERSION"
}
declare -A build_pid=()
start_build() { # name binary function
  [ -x "$2" ] && return 0
  ("$3") >".tools/logs/build-$1.log" 2>&1 &
  build_pid[$1]=$!
}
# Waits for a build started above and prints its summary; a failed build stops the set-up with its log.
await_build() { # name
  local pid=${build_pid[$1]:-}
  [ -n "$pid" ] || { info "cached"; return 0; }
  if wait "$pid"; then grep -v '^go: downloading' ".tools/logs/build-$1.log" || true
  else cat ".tools/logs/build-$1.log" >&2; die "building $1 failed (its log: .tools/logs/build-$1.log)"; fi
}
[ -n "$cli_on_path" ] || start_build pulumi "$cli_cached" build_cli
start_build compose "$compose_bin" build_compose
[ -n "$langhost_on_path" ] || start_build language-nodejs "$langhost_cached" build_langhost
[ ${#build_pid[@]} -eq 0 ] || info "building in the background from the Go module proxy (first time only; 6-11 min on 2 cores): ${!build_pid[*]}"

# ---------------------------------------------------------------- Debian packages
step "Debian packages (postgresql, openssh-server, openssh-client, btrfs-progs, docker.io, debootstrap)"
missing_debs=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing_debs+=(postgresql)
[ -x /usr/sbin/sshd ] || missing_debs+=(openssh-server)
command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 || missing_debs+=(openssh-client)
command -v curl >/dev/null 2>&1 || missing_debs+=(curl)
# btrfs-progs is for the sandbox's btrfs data volume, which needs root anyway: without root it is
# not a reason to stop. sbin may not be on a non-root PATH, so look where Debian puts them.
if ! { { [ -x /usr/sbin/mkfs.btrfs ] || [ -x /sbin/mkfs.btrfs ]; } && { [ -x /usr/bin/btrfs ] || [ -x /bin/btrfs ]; }; }; then
  if [ "$(id -u)" = 0 ]; then missing_debs+=(btrfs-progs)
  else info "btrfs-progs: MISSING (only \`sandbox up --volume btrfs\`, as root, needs it)"; fi
fi
# The sandbox's Docker engine (dockerd started by the sandbox itself, never a system service) and
# debootstrap for its images' base: like btrfs-progs, only root can use them.
if ! { [ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] && [ -x /usr/bin/docker-init ]; }; then
  if [ "$(id -u)" = 0 ]; then missing_debs+=(docker.io)
  else info "docker.io: MISSING (the sandbox, which runs as root, needs it)"; fi
fi
if ! [ -x /usr/sbin/debootstrap ]; then
  if [ "$(id -u)" = 0 ]; then missing_debs+=(debootstrap)
  else info "debootstrap: MISSING (the sandbox, which runs as root, needs it)"; fi
fi
if [ ${#missing_debs[@]} -eq 0 ]; then
  info "present"
else
  [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing_debs[*]}; run as root or: sudo apt-get install ${missing_debs[*]}"
  t=$SECONDS
  info "installing ${missing_debs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Package scripts must not start system-wide servers: the sandbox runs its own on loopback.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1; fi
  apt-get update -qq >/dev/null || die "apt-get update failed (is Debian's package mirror reachable?)"
  apt-get install -y -qq --no-install-recommends "${missing_debs[@]}" >/dev/null \
    || die "apt-get install ${missing_debs[*]} failed"
  [ "$created_policy" = 1 ] && rm -f "$policy"
  info "installed in $(elapsed $t)"
fi

# ---------------------------------------------------------------- npm packages and Node 22
step "npm packages (Node 22 from the npm registry's node package)"
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  t=$SECONDS
  # Install scripts stay blocked (npm 11's default): @pulumi/command's would download a plugin.
  npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed (is the npm registry reachable?)"
  info "installed in $(elapsed $t)"
else
  info "present"
fi
NODE="$ROOT/node_modules/.bin/node"
node_major=$("$NODE" -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 22 ] || die "node_modules/.bin/node is v$node_major; Node >= 22 is needed"
info "node $("$NODE" --version)"

GOPROXY_URL=$(go env GOPROXY 2>/dev/null | cut -d, -f1 || true)
[ -n "$GOPROXY_URL" ] && [ "$GOPROXY_URL" != direct ] && [ "$GOPROXY_URL" != off ] || GOPROXY_URL=https://proxy.golang.org

# What the Go module proxy answers for a module version's source archive (200 = served).
proxy_answer() { curl -s -o /dev/null -w '%{http_code}' "$GOPROXY_URL/$1/@v/$2.zip" || echo "no answer"; }

# ---------------------------------------------------------------- Pulumi CLI
step "Pulumi CLI v$PULUMI_VERSION"
cli_source=""
if [ -n "$cli_on_path" ]; then
  ln -sf "$cli_on_path" .tools/bin/pulumi
  cli_source="PATH"
else
  await_build pulumi
  ln -sf "$cli_cached" .tools/bin/pulumi
  cli_source="built from the Go module proxy, cached in $CACHE"
fi
cli_version=$(.tools/bin/pulumi version)
[ "$cli_version" = "v$PULUMI_VERSION" ] || die "pulumi version printed $cli_version, expected v$PULUMI_VERSION"
info "pulumi $cli_version ($cli_source)"

# ---------------------------------------------------------------- docker compose plugin
step "docker compose plugin v$COMPOSE_VERSION"
await_build compose
info "present ($("$compose_bin" version 2>/dev/null || echo "cannot run $compose_bin"); cached in $CACHE)"

# ---------------------------------------------------------------- nodejs language host
# The driver runs the program in-process (Automation API inline program: the SDK serves the
# language-host protocol itself), so the pulumi-language-nodejs binary is only needed to run
# `pulumi preview/up/destroy` by hand on this project. Its own module
# (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is refused by the Go module
# proxy; sdk/v3 v3.68.0, the last release whose module still holds nodejs/cmd/pulumi-language-nodejs,
# is served, so it is built from there (toolchain/language-nodejs) and cached per user.
#
# The CLI looks for its bundled plugins (the language hosts, pulumi-resource-pulumi-nodejs) on PATH
# first, then next to its own executable, symlinks resolved; it warns `using <plugin> from $PATH`
# unless the PATH one, symlinks resolved, is that very file. So, as in Pulumi's own install, they are
# put next to the CLI binary the set-up built (in the cache), and .tools/bin links to them there.
cli_dir=$(dirname "$(readlink -f .tools/bin/pulumi)")
bundle_with_cli() { # name source
  local dest="$cli_dir/$1"
  if [ "$cli_dir" = "$CACHE/pulumi-v$PULUMI_VERSION" ]; then
    if ! [ "$2" -ef "$dest" ] && ! cmp -s "$2" "$dest"; then
      ln -f "$2" "$dest.tmp$$" 2>/dev/null || cp "$2" "$dest.tmp$$"
      if ! mv -f "$dest.tmp$$" "$dest" 2>/dev/null; then
        # mv refuses when a set-up running at the same time has just made the same hard link.
        [ "$dest.tmp$$" -ef "$dest" ] || die "could not put $1 next to the CLI in $cli_dir"
        rm -f "$dest.tmp$$"
      fi
    fi
  elif [ ! -x "$dest" ]; then
    dest=$2 # a CLI from PATH: its folder is not ours to write, and the CLI will print that warning
  fi
  ln -sf "$dest" ".tools/bin/$1"
}
step "nodejs language host (for running the pulumi CLI by hand)"
langhost=""
if [ -n "$langhost_on_path" ]; then
  ln -sf "$langhost_on_path" .tools/bin/pulumi-language-nodejs
  langhost="PATH: $langhost_on_path"
else
  await_build language-nodejs
  bundle_with_cli pulumi-language-nodejs "$langhost_cached"
  langhost="built from the Go module proxy (sdk/v3 $LANGHOST_VERSION), cached in $CACHE"
fi
# The host of dynamic providers (pulumi.dynamic.Resource), a script @pulumi/pulumi ships; the CLI
# and @pulumi/pulumi are the same version.
bundle_with_cli pulumi-resource-pulumi-nodejs "$ROOT/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
info "present ($langhost); pulumi-resource-pulumi-nodejs from @pulumi/pulumi"

# ---------------------------------------------------------------- command provider
step "command provider v$COMMAND_VERSION (optional: only the pulumi-command transport uses it)"
provider=""
plugin_dir="${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-command-v$COMMAND_VERSION"
provider_problem=""
if [ -x "$plugin_dir/pulumi-resource-command" ]; then
  provider="installed plugin"
elif command -v pulumi-resource-command >/dev/null 2>&1; then
  provider="PATH"
else
  mod=github.com/pulumi/pulumi-command/provider
  answer=$(proxy_answer "$mod" "v$COMMAND_VERSION")
  if [ "$answer" = 200 ]; then
    cached="$CACHE/command-v$COMMAND_VERSION/pulumi-resource-command"
    if [ ! -x "$cached" ]; then
      t=$SECONDS
      work=$(mktemp -d)
      printf 'module delphi-restore/toolchain/command\n\ngo 1.26\n' >"$work/go.mod"
      printf '//go:build tools\n\npackage tools\n\nimport _ "%s/cmd/pulumi-resource-command"\n' "$mod" >"$work/tools.go"
      (cd "$work" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go get "$mod@v$COMMAND_VERSION" && \
        GOTOOLCHAIN=local GOFLAGS=-mod=mod go build -trimpath \
          -ldflags "-s -w -X $mod/pkg/version.Version=v$COMMAND_VERSION" \
          -o "$cached" "$mod/cmd/pulumi-resource-command") || die "building the command provider failed"
      rm -rf "$work"
      info "built in $(elapsed $t)"
    fi
    .tools/bin/pulumi plugin install resource command "$COMMAND_VERSION" --file "$cached" >/dev/null
    provider="built from the Go module proxy"
  else
    provider_problem="the Go module proxy answers $answer for $mod@v$COMMAND_VERSION (source of pulumi-resource-command); no other source is reachable from this machine"
  fi
fi
if [ -n "$provider" ]; then info "present ($provider)"; else info "not available (optional): $provider_problem"; fi

# ---------------------------------------------------------------- env file and summary
cat >.tools/env.sh <<EOF
# Written by scripts/setup.sh: source it to use this project's toolchain in a shell.
export PATH="$ROOT/.tools/bin:$ROOT/node_modules/.bin:\$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# \`pulumi\` typed here uses the backend and passphrase the delphi-restore command uses
# (src/cli/workspace.ts, engineEnv), so it sees the same stacks; a PULUMI_BACKEND_URL or
# PULUMI_CONFIG_PASSPHRASE(_FILE) of your own wins. They are set for that command only (a shell
# function, not exported), so that programs started from this shell keep choosing their own: the
# e2e tests point DELPHI_RESTORE_PROJECT_DIR at a temp folder and must not get this checkout's state.
pulumi() {
  local dr_state="\${DELPHI_RESTORE_PROJECT_DIR:-$ROOT}"
  case "\$dr_state" in /*) ;; *) dr_state="\$PWD/\$dr_state" ;; esac
  dr_state="\$dr_state/.state"
  local backend="\${PULUMI_BACKEND_URL:-}" passfile="\${PULUMI_CONFIG_PASSPHRASE_FILE:-}"
  if [ -z "\$backend" ]; then
    mkdir -p "\$dr_state/backend" && backend="file://\$dr_state/backend"
  fi
  if [ -z "\${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "\$passfile" ]; then
    passfile="\$dr_state/passphrase"
    [ -e "\$passfile" ] || { mkdir -p "\$dr_state" &&
      (umask 077 && head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"\$passfile"); }
  fi
  if [ -n "\$passfile" ]; then
    PULUMI_BACKEND_URL="\$backend" PULUMI_CONFIG_PASSPHRASE_FILE="\$passfile" command pulumi "\$@"
  else
    PULUMI_BACKEND_URL="\$backend" command pulumi "\$@"
  fi
}
EOF
"$NODE" -e '
const [cli, lang, prov, problem] = process.argv.slice(1);
require("fs").writeFileSync(".tools/toolchain.json", JSON.stringify({
  pulumi: { version: cli }, languageHost: lang || null,
  commandProvider: prov ? { source: prov } : { missing: problem },
}, null, 2) + "\n");' "$cli_version" "$langhost" "$provider" "$provider_problem"

step "set-up finished in $(elapsed $started)"
if [ -z "$provider" ]; then
  info "Ready: the restore engine runs every remote command with the default ssh transport."
  info "Only the optional transport 'pulumi-command' (delphi-restore:transport) is unavailable here: $provider_problem."
  [ "$REQUIRE_COMMAND_PROVIDER" = 1 ] && die "--require-command-provider: the command provider is missing"
fi
exit 0
