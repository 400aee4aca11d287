"""The Terraform against the functions' own code: every function folder is deployed and scheduled, every scheduler
body is a valid request for its function's params model, the environment Terraform gives a function (with the
example tfvars) loads that function's settings model as production needs it, every secret the model reads is
declared for that function alone, and each function's time budget plus its margin is its timeout.

Each function's modules are top-level in its bundle, so its settings and params are read in a fresh interpreter with
its folder on sys.path, as `make build` deploys it, run from an empty folder (no `.env`).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from functools import cache
from typing import Any

import hcl2
import pytest

from tests.infra.test_terraform import (
    JOBS,
    TF_DIR,
    _normalise,
    catalog,
    job_settings,
    locals_,
    parsed,
    raw_text,
    resources,
    schedules,
    variables,
)
from tools.pipeline import FUNCTIONS_DIR, PIPELINE, ROOT

PROBE = r"""
import json, sys, typing
request = json.load(sys.stdin)
sys.path[:0] = [request["folder"], request["root"]]
import os
from main import SPEC
from shared.entrypoint import parse_params
from shared.secrets import Secret

def is_secret(annotation):
    return annotation is Secret or Secret in typing.get_args(annotation)

model = SPEC.settings_model
out = {"fields": {name.upper(): is_secret(info.annotation) for name, info in model.model_fields.items()},
       "settings": [], "bodies": []}
for env in request["variants"]:
    os.environ.clear()
    os.environ.update(env)
    try:
        settings = model.load()
    except Exception as exc:
        out["settings"].append({"error": f"{type(exc).__name__}: {exc}"})
    else:
        out["settings"].append({"error": None, "values": settings.masked(), "time_budget": settings.time_budget})
for body in request["bodies"]:
    parsed = parse_params(body.encode(), SPEC.params_model)
    out["bodies"].append(None if isinstance(parsed, SPEC.params_model) else parsed[0])
print(json.dumps(out))
"""

ALLOWED_ROLES = {
    "roles/bigquery.jobUser", "roles/bigquery.dataEditor", "roles/bigquery.dataViewer", "roles/aiplatform.user",
    "roles/secretmanager.secretAccessor", "roles/run.invoker", "roles/iam.serviceAccountTokenCreator",
    "roles/artifactregistry.writer", "roles/logging.logWriter", "roles/storage.objectAdmin",
}
LIBRARY_ENV = {"GOOGLE_CLOUD_PROJECT"}
"""Read by the Google client libraries themselves (google.auth.default's project), whatever the settings say."""
VERTEX_CALLERS = {"generate-embeddings", "account-scoring"}
NOT_DEPLOYED_SECRETS = {
    "GMAIL_STATIC_TOKEN": ("gmail_auth", "static_token"),
    "VERTEX_STATIC_TOKEN": ("vertex_auth", "static_token"),
    "SHEETS_STATIC_TOKEN": ("sheets_auth", "static_token"),
    "SALESFORCE_REFRESH_TOKEN": ("salesforce_auth", "refresh_token"),
    "SALESFORCE_PASSWORD": ("salesforce_auth", "password"),
    "SALESFORCE_SECURITY_TOKEN": ("salesforce_auth", "password"),
}
"""Secret settings only a mode Terraform never selects reads (local sandbox tokens, Salesforce flows the
salesforce_auth validation refuses): secret env name → (settings field, the mode that reads it)."""
PRODUCTION: dict[str, dict[str, Any]] = {
    "gmail-sync": {"gmail_auth": "delegated", "gmail_mailboxes": ["ann@acme.com", "bo@acme.com"]},
    "salesforce-sync": {"salesforce_username": "integration@acme.com"},
    "dialpad-sync": {"dialpad_base_url": "https://dialpad.com"},
    "usage-collect": {"sheets_auth": "adc", "usage_sheet_range": "Mapping!A:F", "usage_people_range": "People!A:C"},
    "entity-resolution": {"company_domains": "acme.com"},
    "generate-embeddings": {"embedder": "vertex", "vertex_auth": "adc", "embedding_model": "text-embedding-005",
                            "vertex_location": "us-central1", "google_cloud_project": "acme-sales-intel"},
    "account-scoring": {"scoring_narrative": False, "vertex_auth": "adc", "vertex_location": "us-central1",
                        "google_cloud_project": "acme-sales-intel"},
}


# --------------------------------------------------------------------------------------------------------------------
# The environment Terraform gives each function, evaluated with terraform.tfvars.example over the defaults
# --------------------------------------------------------------------------------------------------------------------


@cache
def tfvars() -> dict[str, Any]:
    with (TF_DIR / "terraform.tfvars.example").open() as fh:
        example = _normalise(hcl2.load(fh))
    return {**{name: body.get("default") for name, body in variables().items()}, **example}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def evaluate(expr: Any, values: dict[str, Any]) -> Any:
    """The few Terraform expression forms the job catalog uses; anything else fails the test loudly."""
    if not isinstance(expr, str) or "${" not in expr:
        return expr
    whole = re.fullmatch(r"\$\{([^{}]*)\}", expr)
    if not whole:
        return re.sub(r"\$\{([^{}]*)\}", lambda m: _text(evaluate("${" + m.group(1) + "}", values)), expr)
    inner = whole.group(1).replace('\\"', '"').strip()
    if m := re.fullmatch(r"var\.(\w+)", inner):
        return values[m.group(1)]
    if m := re.fullmatch(r"local\.(\w+)", inner):
        return evaluate(locals_()[m.group(1)], values)
    if m := re.fullmatch(r"(jsonencode|tostring)\((.+)\)", inner):
        return _text(evaluate("${" + m.group(2) + "}", values))
    if m := re.fullmatch(r'join\("(.*)", (.+)\)', inner):
        return m.group(1).join(evaluate("${" + m.group(2) + "}", values))
    if m := re.fullmatch(r"coalesce\((.+)\)", inner):
        found = (evaluate("${" + part.strip() + "}", values) for part in m.group(1).split(","))
        return next(v for v in found if v not in (None, ""))
    raise AssertionError(f"the test cannot evaluate {expr!r}")


def environment(job: str, values: dict[str, Any]) -> dict[str, str]:
    """local.jobs[job].environment: common + job settings without empty ones, the timeout, secret references."""
    settings = {**locals_()["common_env"], **catalog()[job]["env"]}
    env = {key: _text(evaluate(expr, values)) for key, expr in settings.items()}
    env = {key: value for key, value in env.items() if value != ""}
    env["FUNCTION_TIMEOUT_SECONDS"] = str(job_settings(job)["timeout_seconds"])
    project = values["project_id"]
    secrets = catalog()[job]["secrets"].items()
    env |= {name: f"secretmanager://projects/{project}/secrets/{sid}" for name, sid in secrets}
    return env


def allowed_salesforce_auth() -> list[str]:
    condition = variables()["salesforce_auth"]["validation"][0]["condition"].replace('\\"', '"')
    listed = re.fullmatch(r"\$\{contains\(\[(.*)\], var\.salesforce_auth\)\}", condition)
    assert listed, condition
    return json.loads(f"[{listed.group(1)}]")


def variants(job: str) -> list[dict[str, str]]:
    if job == "salesforce-sync":
        return [environment(job, {**tfvars(), "salesforce_auth": mode}) for mode in allowed_salesforce_auth()]
    return [environment(job, tfvars())]


def run_probe(request: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as empty:
        result = subprocess.run([sys.executable, "-I", "-c", PROBE], input=json.dumps(request), cwd=empty,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return {**json.loads(result.stdout.splitlines()[-1]), "request": request}


@cache
def probe(job: str) -> dict[str, Any]:
    bodies = [str(s["body"]) for s in schedules() if s["job"] == job]
    return run_probe({"folder": str(FUNCTIONS_DIR / JOBS[job]), "root": str(ROOT), "variants": variants(job),
                      "bodies": bodies})


# --------------------------------------------------------------------------------------------------------------------
# Every function is deployed and scheduled, and what the scheduler sends is a request it accepts
# --------------------------------------------------------------------------------------------------------------------


def test_every_function_folder_has_a_function_a_service_account_and_a_scheduler() -> None:
    folders = {p.name for p in FUNCTIONS_DIR.iterdir() if (p / "main.py").is_file()}
    assert folders == set(JOBS.values()) == {job["source_dir"] for job in catalog().values()}
    assert {e.folder for e in PIPELINE} == folders and {e.cloud_name for e in PIPELINE} == set(JOBS)
    for rtype in ("google_cloudfunctions2_function", "google_service_account"):
        assert resources(rtype)["job"]["for_each"] == "${local.jobs}", rtype
    assert resources("google_cloud_scheduler_job")["job"]["for_each"] == "${local.schedules}"
    assert {s["job"] for s in schedules()} == set(JOBS)


@pytest.mark.parametrize("job", sorted(JOBS))
def test_every_scheduler_body_is_a_valid_request_for_its_function(job: str) -> None:
    outcome = probe(job)
    assert outcome["request"]["bodies"], f"{job} has no scheduler"
    assert outcome["bodies"] == [None] * len(outcome["request"]["bodies"]), outcome["bodies"]


def test_the_params_models_refuse_a_body_the_scheduler_must_not_send() -> None:
    request = {**probe("salesforce-sync")["request"], "bodies": ['{"sync_type":"weekly"}', '{"unknown":1}', "[]"]}
    refusals = [json.loads(r)["error"] for r in run_probe(request)["bodies"]]
    assert refusals[0].startswith("sync_type:")
    assert refusals[1] == "unknown: unknown field"
    assert refusals[2] == "request body must be a JSON object"


# --------------------------------------------------------------------------------------------------------------------
# Settings and secrets
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("job", sorted(JOBS))
def test_terraforms_environment_loads_each_functions_settings_as_production_needs_them(job: str) -> None:
    outcome = probe(job)
    unread = set(outcome["request"]["variants"][0]) - set(outcome["fields"]) - LIBRARY_ENV
    assert not unread, f"Terraform sets {sorted(unread)} for {job}, which its settings never read"
    for loaded in outcome["settings"]:
        assert loaded["error"] is None, loaded["error"]
        values = loaded["values"]
        assert values["warehouse"] == "bigquery://acme-sales-intel/sales_intel"
        assert {k: values[k] for k in PRODUCTION[job]} == PRODUCTION[job]


@pytest.mark.parametrize("job", sorted(JOBS))
def test_every_secret_a_function_reads_is_declared_for_it_alone(job: str) -> None:
    outcome = probe(job)
    reads = {name for name, secret in outcome["fields"].items() if secret}
    declared = set(catalog()[job]["secrets"])
    assert declared <= reads, f"{job} declares {sorted(declared - reads)}, which its settings do not read as secrets"
    env = outcome["request"]["variants"][0]
    for name in reads - declared:
        assert name in NOT_DEPLOYED_SECRETS, f"{job} reads secret {name}, which Terraform does not declare"
        field, mode = NOT_DEPLOYED_SECRETS[name]
        assert all(loaded["values"][field] != mode for loaded in outcome["settings"]), name
        if field.upper() in env:
            assert field == "salesforce_auth" and mode not in allowed_salesforce_auth(), name
    for secret_id in catalog()[job]["secrets"].values():
        holders = [other for other in JOBS if secret_id in json.dumps(variants(other))]
        assert holders == [job], f"{secret_id} reaches {holders}"


# --------------------------------------------------------------------------------------------------------------------
# Time budget, IAM
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("job", sorted(JOBS))
def test_each_functions_time_budget_plus_its_margin_is_its_timeout(job: str) -> None:
    """Terraform sets FUNCTION_TIMEOUT_SECONDS to the function's timeout and never TIME_BUDGET_SECONDS, so the budget
    is the timeout minus the margin shared/settings.py applies: 60 s, or 20 % of a timeout under 300 s."""
    assert not re.search(r"TIME_BUDGET_SECONDS\s*=", raw_text())
    fn = resources("google_cloudfunctions2_function")["job"]
    assert fn["service_config"][0]["timeout_seconds"] == "${each.value.timeout_seconds}"
    timeout = job_settings(job)["timeout_seconds"]
    for loaded in probe(job)["settings"]:
        values = loaded["values"]
        assert values["function_timeout_seconds"] == timeout and values["time_budget_seconds"] is None
        margin = min(60, timeout * 0.2)
        assert loaded["time_budget"] + margin == timeout, (loaded["time_budget"], margin, timeout)


def _role_values() -> dict[str, set[str]]:
    """Resource address → the roles it grants, with for_each sets and the job catalog's roles expanded."""
    catalog_roles = {"roles/bigquery.jobUser"}
    for job in catalog().values():
        roles = job["project_roles"]
        catalog_roles |= set(re.findall(r"roles/[\w.]+", roles if isinstance(roles, str) else json.dumps(roles)))
    out: dict[str, set[str]] = {}
    for doc in parsed().values():
        for block in doc.get("resource", []):
            for rtype, named in block.items():
                for name, body in named.items():
                    if "role" not in body:
                        continue
                    role = body["role"]
                    if role == "${each.value}":
                        out[f"{rtype}.{name}"] = set(re.findall(r"roles/[\w.]+", str(body["for_each"])))
                    elif role == "${each.value.role}":
                        out[f"{rtype}.{name}"] = catalog_roles
                    else:
                        out[f"{rtype}.{name}"] = {role}
    return out


def test_only_the_listed_roles_are_granted_and_never_authoritatively() -> None:
    granted = _role_values()
    assert all(roles and all(r.startswith("roles/") for r in roles) for roles in granted.values()), granted
    assert set().union(*granted.values()) <= ALLOWED_ROLES, set().union(*granted.values()) - ALLOWED_ROLES
    assert not re.search(r'resource "google_\w+_iam_(binding|policy)"', raw_text())


def test_bigquery_data_roles_are_dataset_level_and_vertex_ai_user_only_for_vertex_callers() -> None:
    for address, roles in _role_values().items():
        data_roles = {r for r in roles if r.startswith("roles/bigquery.data")}
        if data_roles:
            assert address.startswith("google_bigquery_dataset_iam_member."), address
    vertex = {job for job, body in catalog().items() if "roles/aiplatform.user" in json.dumps(body["project_roles"])}
    assert vertex == VERTEX_CALLERS
    builder_roles = _role_values()["google_project_iam_member.builder"]
    assert "roles/aiplatform.user" not in builder_roles and not any("bigquery" in r for r in builder_roles)


def test_no_public_principal_is_possible_through_any_variable() -> None:
    for principal in ("allUsers", "allAuthenticatedUsers"):
        assert principal not in raw_text() and principal not in (TF_DIR / "terraform.tfvars.example").read_text()
    for name in ("invoker_members", "analyst_members"):
        condition = variables()[name]["validation"][0]["condition"]
        pattern = re.search(r'regex\("(.*)", m\)', condition.replace("\\\\", "\\"))
        assert pattern, condition
        regex = pattern.group(1)
        for public in ("allUsers", "allAuthenticatedUsers", "domain:acme.com"):
            assert not re.search(regex, public), (name, public)
        assert re.search(regex, "group:data-ops@acme.com")


def test_every_checkov_skip_names_a_check_and_gives_a_reason() -> None:
    skips = re.findall(r"#\s*checkov:skip=([^:\n]*)(?::([^\n]*))?", raw_text())
    assert skips
    for check, reason in skips:
        assert re.fullmatch(r"CKV2?_[A-Z]+_\d+", check.strip()), check
        assert reason and len(reason.strip()) >= 20, f"{check}: no reason given"
