"""Drives a running Deskbridge with Merge's official Python SDK (mergepythonclient).

Environment: DESKBRIDGE_BASE (e.g. http://127.0.0.1:8080/api), DESKBRIDGE_API_KEY,
DESKBRIDGE_ACCOUNT_TOKEN, DESKBRIDGE_EXPECTED (a JSON file written by the Rust test from the
simulator's own data: per model the sorted remote ids, plus ticket subjects and contact emails).
Exits non-zero on the first mismatch.
"""

import json
import os
import sys

from merge import Merge

base = os.environ["DESKBRIDGE_BASE"]
client = Merge(
    api_key=os.environ["DESKBRIDGE_API_KEY"],
    account_token=os.environ["DESKBRIDGE_ACCOUNT_TOKEN"],
    base_url=base,
)
expected = json.load(open(os.environ["DESKBRIDGE_EXPECTED"]))
t = client.ticketing


def check(cond, msg):
    if not cond:
        print("FAIL:", msg)
        sys.exit(1)


def all_pages(fn, **kw):
    rows, cursor, pages = [], None, 0
    while True:
        page = fn(cursor=cursor, page_size=kw.pop("page_size", 37), **kw)
        rows.extend(page.results)
        pages += 1
        cursor = page.next
        if not cursor:
            return rows, pages


models = {
    "tickets": (t.tickets, ["assignees", "contact", "account", "assigned_teams"]),
    "comments": (t.comments, ["ticket", "contact", "user"]),
    "users": (t.users, ["teams", "roles"]),
    "contacts": (t.contacts, ["account"]),
    "accounts": (t.accounts, None),
    "teams": (t.teams, None),
    "tags": (t.tags, None),
    "roles": (t.roles, None),
    "attachments": (t.attachments, ["ticket"]),
    "collections": (t.collections, None),
    "projects": (t.projects, None),
}

by_model = {}
for name, (resource, expand) in models.items():
    rows, pages = all_pages(resource.list)
    ids = sorted(r.remote_id for r in rows)
    check(ids == sorted(expected[name]), f"{name}: {len(ids)} remote ids differ from the simulator's {len(expected[name])}")
    check(len(set(r.id for r in rows)) == len(rows), f"{name}: an id appears twice")
    by_model[name] = rows
    if rows:
        first = rows[0]
        one = resource.retrieve(first.id, expand=expand) if expand else resource.retrieve(first.id)
        check(one.id == first.id and one.remote_id == first.remote_id, f"{name}: retrieve returned another record")
    print(f"{name}: {len(rows)} records in {pages} pages")

# Values against the simulator's data.
subjects = expected["ticket_subjects"]
for tk in by_model["tickets"]:
    check(tk.name == subjects[tk.remote_id], f"ticket {tk.remote_id}: name {tk.name!r} != {subjects[tk.remote_id]!r}")
    check(tk.status in ("OPEN", "CLOSED", "IN_PROGRESS", "ON_HOLD"), f"ticket {tk.remote_id}: status {tk.status}")
emails = expected["contact_emails"]
for c in by_model["contacts"]:
    check(c.email_address == emails[c.remote_id], f"contact {c.remote_id}: email {c.email_address!r}")

# Expansion: a ticket with a contact returns the contact as an object.
with_contact = next(tk for tk in by_model["tickets"] if tk.contact)
full = t.tickets.retrieve(with_contact.id, expand=["contact", "assignees"])
check(hasattr(full.contact, "email_address"), f"expand=contact did not return an object: {full.contact!r}")
check(full.contact.id == with_contact.contact, "expanded contact has another id")

# Filters and the rest of the linked-account surface.
open_only, _ = all_pages(t.tickets.list, status="OPEN")
check(all(tk.status == "OPEN" for tk in open_only), "status filter")
one_remote = by_model["tickets"][0].remote_id
page = t.tickets.list(remote_id=one_remote)
check([tk.remote_id for tk in page.results] == [one_remote], "remote_id filter")
statuses = t.sync_status.list()
check(any(s.model_name == "Ticket" and s.status == "DONE" for s in statuses.results), "sync status")
details = t.account_details.retrieve()
slug = os.environ.get("DESKBRIDGE_INTEGRATION", "freshdesk")
check(details.integration_slug == slug, f"account details: {details.integration_slug!r} != {slug!r}")
linked = t.linked_accounts.list()
check(len(linked.results) >= 1, "linked accounts")
print("OK: Merge's Python SDK works against Deskbridge")
