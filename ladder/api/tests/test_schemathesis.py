"""Every operation in /api/v2/openapi.json, fuzzed by schemathesis (its CLI, in a subprocess)
against a live Ladder server, once with each kind of token: admin, staff, a leader, a
volunteer and a partner. The checks: no server error, responses that match the schema, status
codes and content types the schema declares.

Path parameters are drawn from the ids of real records seeded first (schemathesis
dictionaries), so operations on one record reach a real one most of the time and a made-up one
the rest. The figures (operations, requests, failures) are printed and written to
``bench/results/schemathesis.json`` (with LADDER_BENCH_RECORD=1).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from ladder.api import ids
from ladder.api.tests.testing import ApiClient, uuid_of
from ladder.api.tokens import token_create
from ladder.core.models import Role, User
from ladder.core.testing import make_user
from ladder.people.models import Person
from ladder.people.services import tag_add
from ladder.segments.models import StaticList
from ladder.segments.services import list_add

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
# A run on purpose (LADDER_BENCH_RECORD=1) records its counts beside the benchmarks'; an
# ordinary test run keeps them in the data directory, so `make test` leaves the tree clean.
RESULTS = (
    ROOT / "bench" / "results" / "schemathesis.json"
    if os.environ.get("LADDER_BENCH_RECORD")
    else Path(settings.DATA_DIR) / "schemathesis.json"
)
CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
)
# Cases per operation and phase: enough to find a 500 or a shape the schema does not allow,
# small enough that five roles run in CI time.
# CI-sized by default; a deeper run on purpose: LADDER_SCHEMATHESIS_EXAMPLES=25.
MAX_EXAMPLES = int(os.environ.get("LADDER_SCHEMATHESIS_EXAMPLES", "3"))
SEED = 20261201


def _st() -> str:
    found = Path(sys.executable).with_name("st")
    return str(found) if found.exists() else "st"


def _seed(
    admin: User, leader: User, person: Person, partner_list: StaticList
) -> dict[str, list[str]]:
    """Real records of every kind the API serves; their ids by path parameter name."""
    from ladder.mailings.models import MailTemplate
    from ladder.segments.services import segment_create

    api = ApiClient(admin)
    person_id = ids.encode("person", person.pk)
    link = {
        "_links": {"osdi:person": {"href": f"https://actionnetwork.org/api/v2/people/{person_id}"}}
    }
    found: dict[str, list[str]] = {"person_id": [person_id]}

    def made(response: Any) -> str:
        assert response.status_code in (200, 201), response.content
        return uuid_of(response.json())

    tag = made(api.post("tags", {"name": "fuzzed"}))
    found["tag_id"] = [tag]
    found["tagging_id"] = [made(api.post(f"tags/{tag}/taggings", link))]
    # Pages made by an admin (no group) and by the leader (their group), so that the leader's
    # run reaches real pages too.
    for author in (api, ApiClient(leader)):
        for plural, body, records, kind in (
            ("events", {"title": "Fuzz night", "start_date": "2027-02-01 18:00:00"},
             "attendances", "attendance"),
            ("petitions", {"title": "Fuzz petition", "target": "Council"}, "signatures",
             "signature"),
            ("forms", {"title": "Fuzz form"}, "submissions", "submission"),
            ("fundraising_pages", {"title": "Fuzz fund"}, "donations", "donation"),
        ):  # fmt: skip
            page = made(author.post(plural, body))
            record = {**link, "amount": "12.50"} if records == "donations" else link
            found.setdefault(f"{plural[:-1]}_id", []).append(page)
            found.setdefault("action_id", []).append(page)  # "/{plural}/{action_id}/embed"
            made_record = made(author.post(f"{plural}/{page}/{records}", record))
            found.setdefault(f"{kind}_id", []).append(made_record)
            found.setdefault("record_id", []).append(made_record)  # /people/{id}/<kind>s/{…}
    found["list_id"] = [ids.encode("list", partner_list.pk)]
    found["item_id"] = [ids.encode("item", m.pk) for m in partner_list.members.all()]
    tagged = {"kind": "tags", "match": "any", "tags": [ids.decode("tag", tag)]}
    segment = segment_create(
        actor=admin, name="Fuzzed tag", definition={"version": 1, "match": tagged}
    )
    found["query_id"] = [ids.encode("segment", segment.pk)]
    found["list_id"].append(ids.encode("segment", segment.pk))
    wrapper = MailTemplate.objects.create(name="Fuzz wrapper", subject="Hi", body="Hello")
    found["wrapper_id"] = [ids.encode("wrapper", wrapper.pk)]
    message = api.post("messages", {"name": "Fuzz", "subject": "Hello", "body": "Hi there"})
    if message.status_code in (200, 201):
        found["message_id"] = [uuid_of(message.json())]
    # Collections Ladder has no counterpart for answer empty: any id will do.
    for name in ("campaign_id", "advocacy_campaign_id", "event_campaign_id", "outreach_id",
                 "survey_id", "unique_id_list_id", "message_id"):  # fmt: skip
        found.setdefault(name, [str(uuid.uuid4())])
    return found


def _config(path: Path, seeds: dict[str, list[str]]) -> Path:
    lines = []
    for name, values in seeds.items():
        lines.append(f"[dictionaries.{name}]")
        lines.append("values = [" + ", ".join(json.dumps(v) for v in values) + "]")
    lines.append("[parameters]")
    for name in seeds:
        lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.8 }}')
    path.write_text("\n".join(lines) + "\n")
    return path


def _tokens(admin: User, staff: User, leader: User, shared: StaticList) -> dict[str, str]:
    volunteer = make_user("vic", Role.VOLUNTEER)
    partner = {
        "partner": "Teachers Union", "static_list": shared,
        "fields": ["given_name", "family_name", "email_addresses"],
    }  # fmt: skip
    # Readers first, writers last, so that seeded records are there for every role.
    roles: list[tuple[str, User, dict[str, Any]]] = [
        ("partner", admin, partner),
        ("volunteer", volunteer, {}),
        ("leader", leader, {}),
        ("staff", staff, {}),
        ("admin", admin, {}),
    ]
    raw: dict[str, str] = {}
    for role, user, extra in roles:
        _, raw[role] = token_create(
            actor=None, user=user, name=f"fuzz {role}", rate_per_minute=10**6, **extra
        )
    return raw


def _run(url: str, token: str, config: Path, out: Path) -> tuple[int, str, dict[str, Any], int]:
    report, har = out / "report.json", out / "requests.har"
    command = [
        _st(), "--config-file", str(config), "run", url,
        "--header", f"OSDI-API-Token: {token}",
        "--checks", ",".join(CHECKS),
        "--phases", "examples,fuzzing,stateful",
        "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--workers", "1",
        "--no-shrink", "--no-color", "--request-timeout", "30",
        "--report", "json,har", "--report-json-path", str(report),
        "--report-har-path", str(har),
    ]  # fmt: skip
    env = {**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"}
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=600, cwd=out
    )  # its cache (.schemathesis/) goes beside the reports, not into the checkout
    summary = json.loads(report.read_text())
    requests = len(json.loads(har.read_text())["log"]["entries"])
    return done.returncode, done.stdout + done.stderr, summary, requests


def test_every_operation_with_every_role(live_server, admin_user, staff_user, leader_b,
                                         person_in_a, person_in_b, tmp_path):  # fmt: skip
    shared = StaticList.objects.create(name="Fuzz partner list", owner=admin_user)
    list_add(actor=admin_user, static_list=shared, person_ids=[person_in_b.pk])
    seeds = _seed(admin_user, leader_b, person_in_b, shared)
    seeds["person_id"].append(ids.encode("person", person_in_a.pk))  # out of a leader's reach
    tokens = _tokens(admin_user, staff_user, leader_b, shared)
    url = f"{live_server.url}/api/v2/openapi.json"
    began = time.perf_counter()
    runs: dict[str, dict[str, Any]] = {}
    problems = []
    for role, token in tokens.items():
        # A writer's run may have deleted the seeded tagging: put it back for the next role.
        tagging = tag_add(actor=None, person=person_in_b, name="fuzzed")
        seeds["tagging_id"] = [ids.encode("tagging", tagging.pk)]
        out = tmp_path / role
        out.mkdir()
        config = _config(out / "schemathesis.toml", seeds)
        code, output, summary, requests = _run(url, token, config, out)
        cases = summary["test_cases"]
        runs[role] = {
            "operations_tested": summary["operations"]["tested"],
            "operations_in_schema": summary["operations"]["total"],
            "test_cases": cases["generated"],
            "requests": requests,
            "failures": cases["with_failures"],
            "errors": cases["errored"] + len(summary["errors"]),
            "failure_kinds": [
                {"title": f["title"], "count": f["count"], "operations": f["operations"]}
                for f in summary["failures"]
            ],
            # Operations whose every answer was a 404 (none of them should be a seeded kind).
            "operations_only_404": sorted(summary["warnings"].get("missing_test_data", [])),
            "seconds": round(summary["running_time"], 1),
        }
        if code != 0 or cases["with_failures"] or runs[role]["errors"]:
            problems.append(f"--- {role} (exit {code}) ---\n{output[-6000:]}")
    totals = {
        "operations_in_schema": max(r["operations_in_schema"] for r in runs.values()),
        "operations_exercised": min(r["operations_tested"] for r in runs.values()),
        "requests": sum(r["requests"] for r in runs.values()),
        "test_cases": sum(r["test_cases"] for r in runs.values()),
        "failures": sum(r["failures"] for r in runs.values()),
        "errors": sum(r["errors"] for r in runs.values()),
    }
    record = {
        "suite": "schemathesis",
        "checks": list(CHECKS),
        "max_examples_per_operation": MAX_EXAMPLES,
        "phases": ["examples", "fuzzing", "stateful"],
        "seed": SEED,
        "roles": list(runs),
        **totals,
        "by_role": runs,
        "seconds": round(time.perf_counter() - began, 1),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(json.dumps(totals))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(record, indent=2) + "\n")
    assert not problems, "\n".join(problems)
    assert totals["operations_exercised"] == totals["operations_in_schema"]
    assert totals["failures"] == 0 and totals["errors"] == 0
