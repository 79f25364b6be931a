"""Schemathesis hooks of scripts/fuzz (loaded with SCHEMATHESIS_HOOKS=hooks).

- Real ids: half of the generated UUID path parameters are swapped for the id of a synced
  record of the collection the parameter names (`{id}` after `/tickets`, `{ticket_id}`,
  `{parent_id}` after `/projects`), so the fuzzer reaches the 200 answers and their schemas,
  not only 404s. Other path parameters named like a known token (`link_token`) get a real one
  half of the time. The ids come from the JSON file in FUZZ_IDS, written by run.py.
- Helpdesk domains: every `domain` (of a body or its `credentials`) names the simulator
  (FUZZ_SIM_DOMAIN), the only helpdesk reachable from the run's network namespace.
- Key names: with FUZZ_KEY_NAME set, half of the bodies with a `name` use it (so
  `/regenerate-key` regenerates a key that exists).
- Tally: every answer's status is counted per operation into FUZZ_TALLY (JSON), for the
  summary run.py prints.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading

import schemathesis

_IDS: dict[str, str] = {}
if os.environ.get("FUZZ_IDS"):
    with open(os.environ["FUZZ_IDS"], encoding="utf-8") as f:
        _IDS = json.load(f)

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_RNG = random.Random(int(os.environ.get("FUZZ_SEED", "1")))
_LOCK = threading.Lock()
_TALLY: dict[str, dict[str, int]] = {}


def _collection(path: str, name: str) -> str:
    """The collection a path parameter names: `tickets` for `{ticket_id}` or `/tickets/{id}`."""
    if name.endswith("_id") and name != "parent_id":
        return name[: -len("_id")] + "s"
    segments = path.split("/")
    for i, s in enumerate(segments):
        if s == "{" + name + "}" and i > 0:
            return segments[i - 1]
    return name


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    if not path_parameters or context.operation is None:
        return path_parameters
    path = context.operation.path
    out = dict(path_parameters)
    for name, value in path_parameters.items():
        known = _IDS.get(_collection(path, name)) or _IDS.get(name)
        if known is None:
            continue
        # Only swap values that are valid for the parameter (negative cases stay negative).
        if isinstance(value, str) and (_UUID.match(value) or not _UUID.match(known)) and _RNG.random() < 0.5:
            out[name] = known
    return out


@schemathesis.hook
def map_body(context, body):
    if not isinstance(body, dict):
        return body
    body = dict(body)
    name = os.environ.get("FUZZ_KEY_NAME")
    if name and isinstance(body.get("name"), str) and _RNG.random() < 0.5:
        body["name"] = name
    return body


def _local_domains(body):
    """Every helpdesk `domain` (of a body or its `credentials`) names the simulator: the only
    helpdesk there is (the run has no network besides loopback, so any other domain would
    answer a 502 "unreachable")."""
    sim = os.environ.get("FUZZ_SIM_DOMAIN")
    if not sim or not isinstance(body, dict):
        return body
    body = dict(body)
    if isinstance(body.get("domain"), str):
        body["domain"] = sim
    creds = body.get("credentials")
    if isinstance(creds, dict) and isinstance(creds.get("domain"), str):
        body["credentials"] = {**creds, "domain": sim}
    return body


@schemathesis.hook
def before_call(context, case, kwargs):
    # Every phase (explicit examples included) goes through here.
    case.body = _local_domains(case.body)


@schemathesis.hook
def after_call(context, case, response):
    key = f"{case.operation.method.upper()} {case.operation.path}"
    with _LOCK:
        by_status = _TALLY.setdefault(key, {})
        by_status[str(response.status_code)] = by_status.get(str(response.status_code), 0) + 1
        tally = os.environ.get("FUZZ_TALLY")
        if tally:
            tmp = tally + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(_TALLY, f)
            os.replace(tmp, tally)
