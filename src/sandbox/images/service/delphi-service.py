#!/usr/bin/env python3
"""The program every Delphi service container of the sandbox runs (voiceai-telweb, -api, -voice,
-ops, -media). Python's standard library only: the image is Debian minbase with python3 and
postgresql-client-15, nothing from pip.

Its stdout is what `docker compose logs` shows, and the restore greps those lines, so their
wording is an interface (the restore waits for the `migrate deploy` and `baseline-seed` lines).

voiceai-telweb does what TelWeb's entrypoint does: `prisma migrate deploy` (each pending migration
and its history row in one transaction), the baseline seed, then it serves /health and the admin
login (`delphi-service migrate`: the migrations and the seed alone, then exit). The others only
say they are ready. Every service then reports a heartbeat to the
sandbox's telemetry endpoint, which is how the restore's verify step sees it is back.

Environment: SERVICE, SANDBOX_HOST, PROJECT, TELEMETRY_URL, IMAGE, HEARTBEAT_SECONDS (2).
voiceai-telweb also: TELWEB_PORT, libpq's PGHOST/PGPORT/PGUSER/PGDATABASE/PGPASSFILE,
MIGRATIONS_DIR, SEED_FILE, MIGRATIONS_TABLE_SQL.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

TELWEB = "voiceai-telweb"


def log(line):
    # One line per write, flushed at once: `docker compose logs` (and the restore polling it)
    # must see a line as soon as it is said, not when a buffer fills.
    print(oneline(line), flush=True)


def oneline(text):
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def fail(line):
    log(line)
    sys.exit(1)


def env(name, default=None):
    value = os.environ.get(name, "")
    if value:
        return value
    if default is None:
        fail(f"{os.environ.get('SERVICE') or 'delphi-service'}: the environment variable {name} is not set")
    return default


# ---- shutdown ----------------------------------------------------------------------------------

def on_signal(signum, _frame):
    # Straight to fd 1, not through print: this runs between two bytecodes of the main thread,
    # which may be inside a print of its own (the buffered writer is not reentrant). Every line
    # is flushed as it is written, so nothing is queued ahead of this one.
    os.write(1, f"received {signal.Signals(signum).name}, shutting down\n".encode())
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, signal.SIG_IGN)
    Psql.cancel_foreground()
    # SystemExit unwinds whatever the main thread is in (a psql is killed on the way out,
    # serve_forever returns); the other threads are daemons and end with the process.
    sys.exit(0)


# ---- psql --------------------------------------------------------------------------------------

class Psql:
    """psql as TelWeb's role. The password comes from PGPASSFILE only: never argv or the environment."""

    # The psql the main thread waits for (migrate deploy, the seed), for the signal handler.
    foreground = None

    def __init__(self):
        self.env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
        self.env.update(PGAPPNAME=TELWEB, PGCONNECT_TIMEOUT="5")

    def run(self, args, stdin="", timeout=None):
        """-> (ok, output): stdout and stderr merged in order, as a shell's $(... 2>&1) has them."""
        cmd = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", *args]
        main = threading.current_thread() is threading.main_thread()
        try:
            with subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env) as proc:
                if main:
                    Psql.foreground = proc
                try:
                    out, _ = proc.communicate(stdin, timeout=timeout)
                except subprocess.TimeoutExpired as e:
                    proc.kill()
                    proc.communicate()
                    return False, str(e)
                except BaseException:  # SIGTERM's SystemExit: no psql outlives us
                    proc.kill()
                    raise
                finally:
                    if main:
                        Psql.foreground = None
        except OSError as e:  # no psql on PATH
            return False, str(e)
        out = out.rstrip("\n")
        if proc.returncode != 0 and not out:
            out = f"psql exited with code {proc.returncode}"
        return proc.returncode == 0, out

    @staticmethod
    def cancel_foreground():
        """Have a running psql cancel its statement before we go: killed outright, it would leave
        its server backend running the statement (holding a migration's locks) to the end."""
        proc = Psql.foreground
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)  # psql sends the server a cancel request, then exits
        end = time.monotonic() + 0.3
        while proc.poll() is None and time.monotonic() < end:
            time.sleep(0.01)


def pg_error(out):
    """The first error line, from its ERROR:/FATAL: on (without psql's "psql:<file>:<line>: ")."""
    e = next((l for l in out.split("\n") if re.search(r"ERROR|FATAL|error|could not", l)), out)
    if "ERROR:" in e:
        e = "ERROR:" + e.split("ERROR:", 1)[1]
    if "FATAL:" in e:
        e = "FATAL:" + e.split("FATAL:", 1)[1]
    return oneline(e)


def psql_quote(path):
    # A single-quoted psql meta-command argument: '' is a quote, and backslash escapes are read.
    return "'" + path.replace("\\", "\\\\").replace("'", "''") + "'"


# ---- telweb: migrate deploy and the baseline seed ------------------------------------------------

HISTORY_INSERT = (
    "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)\n"
    "VALUES (gen_random_uuid()::text, :'mchk', clock_timestamp(), :'mname', NULL, NULL, now(), 1);\n"
)


def migration_files(folder):
    """*.sql in the folder, by name (prisma's order); none when the folder is missing."""
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".sql") and not n.startswith("."))
    except FileNotFoundError:
        return []
    return [os.path.join(folder, n) for n in names if os.path.isfile(os.path.join(folder, n))]


def migrate_deploy(pg, migrations_dir, table_sql):
    log("> prisma migrate deploy")
    ok, out = pg.run(["-f", table_sql])
    if ok:
        ok, out = pg.run(["-c", "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL"])
    if not ok:
        fail(f"migrate deploy failed: {pg_error(out)}")
    applied = set(out.split("\n"))
    files = migration_files(migrations_dir)
    log(f"migrate deploy: {len(files)} migrations found in migrations/")
    n = 0
    for f in files:
        name = os.path.basename(f)[: -len(".sql")]
        if name in applied:
            continue
        log(f"migrate deploy: applying migration `{name}`")
        with open(f, "rb") as fh:
            checksum = hashlib.sha256(fh.read()).hexdigest()
        # One transaction (-1): the migration and its history row commit together or not at all.
        ok, out = pg.run(["-1", "-v", f"mname={name}", "-v", f"mchk={checksum}", "-f", "-"], stdin=f"\\i {psql_quote(f)}\n{HISTORY_INSERT}")
        if not ok:
            fail(f"migrate deploy failed: migration `{name}`: {pg_error(out)}")
        n += 1
    log(f"migrate deploy: {n} migrations applied")


def baseline_seed(pg, seed_file):
    ok, out = pg.run(["-f", seed_file])
    if not ok:
        fail(f"baseline-seed failed: {pg_error(out)}")
    log(f"baseline-seed: ok ({out} setup registry entries added)")


# ---- telweb: HTTP ------------------------------------------------------------------------------

BAD_BODY = {"ok": False, "error": "expected a JSON body {email, password}"}
BODY_LIMIT = 64 * 1024


def verify_password(password, stored):
    """The sandbox's hash format (src/sandbox/postgres/password.ts): scrypt$N$r$p$<salt b64>$<hash b64>."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(re.fullmatch(r"[1-9][0-9]{0,9}", x) for x in parts[1:4]):
        return False
    n, r, p = (int(x) for x in parts[1:4])
    try:
        salt = base64.b64decode(parts[4])
        expected = base64.b64decode(parts[5])
        if not expected:
            return False
        # maxmem as password.ts allows, within what hashlib accepts (below 2 GiB).
        maxmem = min(256 * n * r + 1024 * 1024, 2**31 - 1)
        got = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=len(expected))
    except (ValueError, MemoryError, UnicodeError):
        return False
    return hmac.compare_digest(got, expected)


def admin_login(pg, email, password):
    """-> (status, body). The e-mail goes in as a psql variable quoted by psql (:'email'), never spliced into SQL."""
    try:
        ok, out = pg.run(["-F", "\t", "-v", f"email={email}", "-f", "-"], stdin="SELECT password_hash, role FROM users WHERE email = :'email';\n", timeout=10)
    except ValueError:  # an e-mail no argv can carry (a NUL, a lone surrogate) names no user
        return 401, {"ok": False, "error": "invalid e-mail or password"}
    if not ok:
        return 503, {"ok": False, "error": "database unavailable"}
    fields = out.strip().split("\n")[0].split("\t")  # email is UNIQUE: one row or none
    role = fields[1] if len(fields) > 1 else ""
    if not fields[0] or not verify_password(password, fields[0]):
        return 401, {"ok": False, "error": "invalid e-mail or password"}
    return 200, {"ok": True, "user": {"email": email, "role": role}}


def telweb_handler(pg):
    class Handler(BaseHTTPRequestHandler):
        timeout = 10  # a client that stops sending mid-request does not keep a thread forever

        def log_message(self, *_args):
            pass  # no access log: the service's log holds only what the restore reads

        def send_json(self, status, body):
            data = (json.dumps(body, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def read_json(self):
            try:
                size = int(self.headers.get("content-length") or 0)
            except ValueError:
                return None
            if size < 0 or size > BODY_LIMIT:
                return None
            try:
                return json.loads(self.rfile.read(size))
            except ValueError:  # not JSON, or not UTF-8
                return None

        def route(self):
            path = urlsplit(self.path).path
            if self.command == "GET" and path == "/health":
                return self.send_json(200, {"status": "ok", "service": TELWEB})
            if self.command == "POST" and path == "/api/auth/login":
                body = self.read_json()
                email = body.get("email") if isinstance(body, dict) else None
                password = body.get("password") if isinstance(body, dict) else None
                if not isinstance(email, str) or not isinstance(password, str):
                    return self.send_json(400, BAD_BODY)
                return self.send_json(*admin_login(pg, email, password))
            self.send_json(404, {"error": "not found"})

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = route

    return Handler


def telweb_listen(pg, port):
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), telweb_handler(pg))
    except OSError as e:
        fail(f"telweb failed to listen on 127.0.0.1:{port}: {e}")
    server.daemon_threads = True
    return server


# ---- heartbeats --------------------------------------------------------------------------------

def heartbeats(url, body, every):
    # Its own opener without proxies: the telemetry endpoint is on this machine, and an
    # http_proxy in the container's environment must not route heartbeats elsewhere.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    data = json.dumps(body).encode()
    while True:
        started = time.monotonic()
        try:
            req = urllib.request.Request(url, data=data, method="POST", headers={"content-type": "application/json"})
            with opener.open(req, timeout=2) as r:
                r.read()
        except Exception:  # telemetry down or slow: the service goes on, the next beat retries
            pass
        time.sleep(max(0.0, every - (time.monotonic() - started)))


def start_heartbeats(url, body, every):
    threading.Thread(target=heartbeats, args=(url, body, every), name="heartbeats", daemon=True).start()


# ---- main --------------------------------------------------------------------------------------

def heartbeat_seconds(service):
    text = env("HEARTBEAT_SECONDS", "2")
    try:
        every = float(text)
    except ValueError:
        every = 0
    if not 0 < every < 86400:
        fail(f"{service}: HEARTBEAT_SECONDS must be a positive number of seconds, got '{text}'")
    return every


def telweb_port():
    text = env("TELWEB_PORT")
    if not re.fullmatch(r"[0-9]{1,5}", text) or not 0 < int(text) < 65536:
        fail(f"{TELWEB}: TELWEB_PORT must be a port number, got '{text}'")
    return int(text)


def main():
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, on_signal)
    service = env("SERVICE")
    # Every setting is read before anything runs: a bad one fails the start, not a later step.
    beat = (env("TELEMETRY_URL"), {"host": env("SANDBOX_HOST"), "service": service, "project": env("PROJECT")}, heartbeat_seconds(service))
    port = telweb_port() if service == TELWEB else 0
    log(f"starting {service} (image {env('IMAGE', 'unknown')})")
    if service == TELWEB:
        pg = Psql()
        migrate_deploy(pg, env("MIGRATIONS_DIR", "/app/migrations"), env("MIGRATIONS_TABLE_SQL", "/app/prisma-migrations-table.sql"))
        baseline_seed(pg, env("SEED_FILE", "/app/seed/baseline.sql"))
        if sys.argv[1:] == ["migrate"]:
            # TelWeb's migrations alone, as a one-off container runs them (the restore's
            # reconcile.beforeStop, against the restored database): migrate deploy, the seed, exit.
            return
        server = telweb_listen(pg, port)
        log(f"telweb listening on :{port}")
        start_heartbeats(*beat)
        try:
            server.serve_forever()
        finally:
            server.server_close()
    else:
        log(f"{service} ready")
        start_heartbeats(*beat)
        while True:
            time.sleep(3600)  # the signal handler ends the process


if __name__ == "__main__":
    main()
