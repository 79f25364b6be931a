"""The fuzz run of scripts/fuzz: schemathesis against a live Deskbridge.

Started by scripts/fuzz inside a network namespace of its own (only loopback: whatever a fuzzed
webhook URL or helpdesk domain names, nothing leaves the machine), with the venv's Python:

1. a throwaway PostgreSQL cluster (or, without initdb, a fresh database on DATABASE_URL);
2. `deskbridge demo` on it: a simulated Freshdesk, linked and synced, caller rate limits off,
   its credentials written to a JSON file;
3. openapi-spec-validator on the committed spec and on the served one;
4. schemathesis on every operation of the served spec (read from it, never listed here) but
   those that revoke or delete credentials (path matching FUZZ_DESTRUCTIVE), with the checks
   not_a_server_error, status_code_conformance, content_type_conformance and
   response_schema_conformance, a bounded number of examples per operation;
5. then each destructive operation alone, with an API key and a linked account of its own;
6. a summary: operations exercised, requests, statuses, time. Exit status 0 only when every
   run passed and every operation of the spec was exercised.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")).resolve()
BIN = TARGET / "debug" / "deskbridge"
VENV_BIN = Path(sys.executable).parent
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
DESTRUCTIVE = re.compile(os.environ.get("FUZZ_DESTRUCTIVE", r"delete|regenerate|revoke"), re.I)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def log(msg: str) -> None:
    print(f"[fuzz] {msg}", flush=True)


def http(method: str, url: str, headers: dict | None = None, body=None) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            raw = res.read()
            status = res.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


class Postgres:
    """A throwaway cluster (initdb + pg_ctl, as `postgres` when root), or a fresh database."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.data = work / "pg"
        self.bindir = self._bindir()
        self.url = ""
        self.drop = None

    @staticmethod
    def _bindir() -> Path | None:
        found = shutil.which("initdb")
        if found:
            return Path(found).resolve().parent
        try:
            out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
            if (Path(out) / "initdb").exists():
                return Path(out)
        except (OSError, subprocess.CalledProcessError):
            pass
        for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
            return Path(cand).parent
        return None

    def _as_owner(self, args: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args

    def start(self) -> str:
        if self.bindir is None:
            base = os.environ.get("DATABASE_URL")
            if not base:
                raise SystemExit("scripts/fuzz needs PostgreSQL: initdb (apt-get install postgresql) or DATABASE_URL")
            name = f"deskbridge_fuzz_{secrets.token_hex(6)}"
            subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {name}"], check=True)
            self.drop = lambda: subprocess.run(["psql", base, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)
            self.url = re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", base.split("://", 1)[1], count=1)
            self.url = base.split("://", 1)[0] + "://" + self.url
            return self.url
        sock = self.work / "sock"
        sock.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.work, "postgres")
            shutil.chown(sock, "postgres")
        port = 55000 + secrets.randbelow(4000)
        subprocess.run(
            self._as_owner([str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(
            self._as_owner([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.work / "pg.log"), "-w", "-o", opts, "start"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.url = f"postgres://postgres@127.0.0.1:{port}/postgres"
        return self.url

    def stop(self) -> None:
        if self.drop:
            self.drop()
        elif self.bindir and self.data.exists():
            subprocess.run(
                self._as_owner([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )


def operations(spec: dict) -> list[tuple[str, str]]:
    return [(m.upper(), p) for p, item in spec["paths"].items() for m in METHODS if m in item]


def known_ids(base: str, spec: dict, auth: dict) -> dict[str, str]:
    """An id of every listed collection (`tickets` → a synced ticket's id), and a link token."""
    ids: dict[str, str] = {}
    for method, path in operations(spec):
        if method != "GET" or "{" in path or not path.startswith("/api/"):
            continue
        status, body = http("GET", f"{base}{path}?page_size=1", auth)
        if status == 200 and isinstance(body, dict) and body.get("results"):
            first = body["results"][0]
            if isinstance(first, dict) and "id" in first:
                ids[path.rsplit("/", 1)[-1]] = str(first["id"])
    # A link token, for the Link page's `{link_token}`.
    item = spec["paths"].get("/api/ticketing/v1/link-token", {}).get("post")
    if item:
        example = {"end_user_origin_id": "fuzz", "end_user_organization_name": "Fuzz Inc.", "end_user_email_address": "fuzz@example.com", "categories": ["ticketing"]}
        status, body = http("POST", f"{base}/api/ticketing/v1/link-token", auth, example)
        if status == 200 and isinstance(body, dict):
            ids["link_token"] = body["link_token"]
    return ids


def schemathesis(base: str, headers: dict, extra: list[str], env: dict, examples: int, seed: int, report: Path, cwd: Path) -> int:
    cmd = [
        str(VENV_BIN / "schemathesis"),
        "run",
        f"{base}/openapi.json",
        "--url", base,
        "--checks", CHECKS,
        "--max-examples", str(examples),
        "--seed", str(seed),
        "--phases", "examples,coverage,fuzzing",
        # One worker: with two, Hypothesis describes strategies by parsing source with `ast` in
        # both threads at once, which CPython 3.11 can fail with "SystemError: AST constructor
        # recursion depth mismatch" (a crash of the tool, reported as a runtime error, seen once
        # in CI). FUZZ_WORKERS overrides it.
        "--workers", os.environ.get("FUZZ_WORKERS", "1"),
        "--request-timeout", "30",
        "--generation-database", "none",
        "--suppress-health-check", "all",
        "--no-color",
        "--report", "junit",
        "--report-junit-path", str(report),
        *[a for k, v in headers.items() for a in ("-H", f"{k}: {v}")],
        *extra,
    ]
    log("$ " + " ".join(c if "Bearer" not in c and "Token" not in c else c.split(":")[0] + ": …" for c in cmd[1:]))
    # Run from the scratch directory (schemathesis keeps a `.schemathesis/` cache where it runs);
    # the hooks module is found through PYTHONPATH.
    pythonpath = os.pathsep.join(p for p in (str(ROOT / "tests" / "fuzz"), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run(cmd, env={**os.environ, **env, "PYTHONPATH": pythonpath}, cwd=cwd).returncode


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", "50")))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "1")))
    ap.add_argument("--tickets", type=int, default=40)
    args = ap.parse_args()
    started = time.monotonic()
    if os.environ.get("FUZZ_NETNS") == "1":
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    out = TARGET / "fuzz"
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="deskbridge-fuzz-"))
    pg = Postgres(work)
    demo = None
    failures: list[str] = []
    try:
        url = pg.start()
        creds_file = work / "credentials.json"
        demo_log = open(out / "demo.log", "w", encoding="utf-8")
        demo = subprocess.Popen(
            [str(BIN), "demo", "--listen", "127.0.0.1:0", "--tickets", str(args.tickets), "--link-failure-limit", "0", "--credentials-file", str(creds_file)],
            env={**os.environ, "DATABASE_URL": url, "DESKBRIDGE_HOME": str(work / "home"), "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
            stdout=demo_log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 180
        while not creds_file.exists():
            if demo.poll() is not None:
                raise SystemExit(f"deskbridge demo exited ({demo.returncode}); see {out / 'demo.log'}")
            if time.monotonic() > deadline:
                raise SystemExit(f"deskbridge demo did not get ready; see {out / 'demo.log'}")
            time.sleep(0.3)
        creds = json.loads(creds_file.read_text())
        base = creds["base_url"]
        log(f"Deskbridge demo at {base} (synced in {time.monotonic() - started:.0f} s)")

        # The spec, committed and served, through openapi-spec-validator.
        status, served = http("GET", f"{base}/openapi.json")
        assert status == 200, status
        (out / "served-openapi.json").write_text(json.dumps(served, indent=2))
        for path in (ROOT / "openapi" / "openapi.json", out / "served-openapi.json"):
            r = subprocess.run([str(VENV_BIN / "openapi-spec-validator"), str(path)], capture_output=True, text=True)
            log(f"openapi-spec-validator {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {r.stdout.strip() or r.stderr.strip()}")
            if r.returncode != 0:
                failures.append(f"openapi-spec-validator {path}")

        ops = operations(served)
        destructive = [(m, p) for m, p in ops if DESTRUCTIVE.search(p)]
        main_auth = {"Authorization": f"Bearer {creds['api_key']}", "X-Account-Token": creds["account_token"]}
        ids = known_ids(base, served, main_auth)
        ids_file = work / "ids.json"
        ids_file.write_text(json.dumps(ids))
        log(f"{len(ops)} operations in the spec; {len(destructive)} revoke or delete credentials and run last: "
            + ", ".join(f"{m} {p}" for m, p in destructive))
        tallies = []

        def run(name: str, headers: dict, extra: list[str], env: dict) -> None:
            tally = work / f"tally-{name}.json"
            tallies.append(tally)
            hook_env = {"FUZZ_IDS": str(ids_file), "FUZZ_TALLY": str(tally), "FUZZ_SEED": str(args.seed),
                        "FUZZ_SIM_DOMAIN": creds["freshdesk"]["domain"], "SCHEMATHESIS_HOOKS": "hooks"}
            code = schemathesis(base, headers, extra, {**hook_env, **env},
                                args.examples, args.seed, out / f"junit-{name}.xml", work)
            if code != 0:
                failures.append(f"schemathesis run `{name}` (exit {code})")

        exclude = "|".join(re.escape(p) + "$" for _, p in destructive)
        run("main", main_auth, ["--exclude-path-regex", exclude] if exclude else [], {})
        for i, (method, path) in enumerate(destructive):
            # Credentials of its own: a new API key and a newly linked account.
            key_name = f"fuzz-destructive-{i}"
            status, key = http("POST", f"{base}/api/ticketing/v1/generate-key", {"Authorization": f"Bearer {creds['api_key']}"}, {"name": key_name})
            assert status == 200, (status, key)
            body = {
                "integration": "freshdesk",
                "end_user_origin_id": f"fuzz-destructive-{i}",
                "end_user_organization_name": f"Fuzz {i}",
                "end_user_email_address": f"fuzz{i}@example.com",
                "credentials": creds["freshdesk"],
            }
            # The main run sends refused credentials on purpose, and an organization's refused
            # checks are throttled (429 for up to a minute): wait that out, as a client would.
            for _ in range(12):
                status, linked = http("POST", f"{base}/api/ticketing/v1/linked-accounts", {"Authorization": f"Bearer {key['key']}"}, body)
                if status != 429:
                    break
                time.sleep(10)
            assert status in (200, 201), (status, linked)
            auth = {"Authorization": f"Bearer {key['key']}", "X-Account-Token": linked["account_token"]}
            op_id = served["paths"][path][method.lower()].get("operationId")
            only = ["--include-operation-id", op_id] if op_id else ["--include-path-regex", "^" + re.escape(path) + "$"]
            run(f"destructive-{i}", auth, only, {"FUZZ_KEY_NAME": key_name})

        # The summary.
        merged: dict[str, dict[str, int]] = {}
        for t in tallies:
            if t.exists():
                for op, statuses in json.loads(t.read_text()).items():
                    for s, n in statuses.items():
                        merged.setdefault(op, {})[s] = merged.setdefault(op, {}).get(s, 0) + n
        missing = [f"{m} {p}" for m, p in ops if f"{m} {p}" not in merged]
        requests = sum(sum(s.values()) for s in merged.values())
        log("answers per operation (status: count):")
        for op in sorted(merged):
            log(f"  {op}: " + ", ".join(f"{s}×{n}" for s, n in sorted(merged[op].items())))
        if missing:
            failures.append(f"operations not exercised: {missing}")
        (out / "summary.json").write_text(json.dumps({"operations": len(ops), "exercised": len(ops) - len(missing), "requests": requests,
                                                     "examples_per_operation": args.examples, "seconds": round(time.monotonic() - started),
                                                     "failures": failures, "answers": merged}, indent=2))
        log(f"{len(ops) - len(missing)}/{len(ops)} operations exercised, {requests} requests, "
            f"max {args.examples} examples per operation and phase, {time.monotonic() - started:.0f} s")
    finally:
        if demo and demo.poll() is None:
            demo.send_signal(signal.SIGINT)
            try:
                demo.wait(timeout=15)
            except subprocess.TimeoutExpired:
                demo.kill()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        log("FAILED: " + "; ".join(failures))
        return 1
    log("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
