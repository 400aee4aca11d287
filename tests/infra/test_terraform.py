"""Static checks of the production Terraform in terraform/.

No terraform binary is available, so every .tf file is parsed with python-hcl2 and the invariants the
deployment depends on are asserted on the parsed structure (and, for "never anywhere" rules, on the raw text).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest

TF_DIR = Path(__file__).resolve().parents[2] / "terraform"

JOBS = {
    "gmail-sync": "gmail_sync",
    "salesforce-sync": "salesforce_sync",
    "dialpad-sync": "dialpad_sync",
    "usage-collect": "usage_collect",
    "entity-resolution": "entity_resolution",
    "generate-embeddings": "generate_embeddings",
    "account-scoring": "account_scoring",
}
SYNCS = {"gmail-sync", "salesforce-sync", "dialpad-sync"}
SECRETS = {
    "gmail-sync": set(),
    "salesforce-sync": {"salesforce-client-id", "salesforce-client-secret", "salesforce-private-key"},
    "dialpad-sync": {"dialpad-api-key"},
    "usage-collect": {"anthropic-admin-key", "cursor-admin-key"},
    "entity-resolution": set(),
    "generate-embeddings": set(),
    "account-scoring": set(),
}
ENV = {
    "gmail-sync": {"GMAIL_MAILBOXES"},
    "salesforce-sync": {"SALESFORCE_AUTH", "SALESFORCE_LOGIN_URL", "SALESFORCE_INSTANCE_URL", "SALESFORCE_USERNAME"},
    "dialpad-sync": {"DIALPAD_BASE_URL"},
    "usage-collect": {"USAGE_SHEET_ID", "USAGE_SHEET_RANGE", "USAGE_PEOPLE_RANGE", "ANTHROPIC_BASE_URL",
                      "CURSOR_BASE_URL"},
    "entity-resolution": {"COMPANY_DOMAINS"},
    "generate-embeddings": {"EMBEDDER", "EMBEDDING_MODEL", "VERTEX_LOCATION"},
    "account-scoring": {"SCORING_NARRATIVE", "VERTEX_LOCATION"},
}
FIXED_ENV = {("generate-embeddings", "EMBEDDER"): "vertex"}
"""Settings Terraform sets to a constant: production choices no operator variable should undo."""
REQUIRED_APIS = {
    f"{api}.googleapis.com"
    for api in (
        "cloudfunctions", "run", "cloudbuild", "artifactregistry", "cloudscheduler", "secretmanager",
        "bigquery", "iamcredentials", "gmail", "sheets", "aiplatform", "logging", "monitoring",
    )
}
JOBS_MAP = "${local.jobs}"
PUBLIC_PRINCIPALS = ("allUsers", "allAuthenticatedUsers")

_OPTIONS = hcl2.SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False, preserve_heredocs=False
)


# --------------------------------------------------------------------------------------------------------------------
# Loading: python-hcl2 v8 keeps the quotes of block labels and string values unless told otherwise; strip defensively
# so the assertions read plain names whatever the option does.
# --------------------------------------------------------------------------------------------------------------------


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _normalise(node: Any) -> Any:
    if isinstance(node, dict):
        return {_unquote(k): _normalise(v) for k, v in node.items() if not str(k).startswith("__")}
    if isinstance(node, list):
        return [_normalise(v) for v in node]
    return _unquote(node)


@cache
def tf_files() -> tuple[Path, ...]:
    return tuple(sorted(TF_DIR.glob("*.tf")))


@cache
def parsed() -> dict[str, dict[str, Any]]:
    out = {}
    for path in tf_files():
        with path.open() as fh:
            out[path.name] = _normalise(hcl2.load(fh, serialization_options=_OPTIONS))
    return out


@cache
def raw_text() -> str:
    return "\n".join(path.read_text() for path in tf_files())


def blocks(kind: str) -> Iterator[dict[str, Any]]:
    for doc in parsed().values():
        yield from doc.get(kind, [])


def resources(rtype: str) -> dict[str, dict[str, Any]]:
    """All resources of a type, by resource name."""
    found: dict[str, dict[str, Any]] = {}
    for block in blocks("resource"):
        for name, body in block.get(rtype, {}).items():
            assert name not in found, f"duplicate {rtype}.{name}"
            found[name] = body
    return found


def all_resources() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for block in blocks("resource"):
        for rtype, named in block.items():
            for name, body in named.items():
                yield rtype, name, body


def single(rtype: str) -> dict[str, Any]:
    found = resources(rtype)
    assert len(found) == 1, f"expected one {rtype}, found {sorted(found)}"
    return next(iter(found.values()))


def variables() -> dict[str, dict[str, Any]]:
    return {name: body for block in blocks("variable") for name, body in block.items()}


def locals_() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in blocks("locals"):
        for key, value in block.items():
            assert key not in merged, f"local.{key} defined twice"
            merged[key] = value
    return merged


def outputs() -> dict[str, dict[str, Any]]:
    return {name: body for block in blocks("output") for name, body in block.items()}


def first(block_list: list[dict[str, Any]]) -> dict[str, Any]:
    assert isinstance(block_list, list) and len(block_list) == 1, block_list
    return block_list[0]


def _unescape(text: str) -> str:
    """Expressions and heredocs may come back with their inner quotes escaped."""
    return text.replace('\\"', '"')


def catalog() -> dict[str, dict[str, Any]]:
    return locals_()["job_catalog"]


def jobs_default() -> dict[str, dict[str, Any]]:
    return variables()["jobs"]["default"]


def _optional_defaults(type_expr: str) -> dict[str, Any]:
    found = re.findall(r"(\w+) = optional\((\w+)(?:, (\"(?:[^\"\\]|\\.)*\"|[\w.]+))?\)", type_expr)
    return {key: json.loads(value) if value else None for key, _, value in found}


def job_settings(name: str) -> dict[str, Any]:
    """var.jobs default for one job with the type's optional() defaults applied, its schedules' included."""
    type_expr = variables()["jobs"]["type"]
    inner = re.search(r"schedules = map\(object\(\{(.*?)\}\)\)", type_expr)
    assert inner, type_expr
    outer = _optional_defaults(type_expr.replace(inner.group(0), ""))
    settings = {**outer, **jobs_default()[name]}
    per_schedule = _optional_defaults(inner.group(1))
    settings["schedules"] = {key: {**per_schedule, **value} for key, value in settings["schedules"].items()}
    return settings


def schedules() -> list[dict[str, Any]]:
    """Every Cloud Scheduler job local.schedules makes of the var.jobs default, with its effective values."""
    out = []
    for name in jobs_default():
        settings = job_settings(name)
        for key, schedule in settings["schedules"].items():
            out.append({**schedule, "job": name, "key": key, "name": name if key == "default" else f"{name}-{key}",
                        "time_zone": schedule["time_zone"] or variables()["time_zone"]["default"],
                        "timeout_seconds": settings["timeout_seconds"]})
    return out


# --------------------------------------------------------------------------------------------------------------------
# Files, versions, variables
# --------------------------------------------------------------------------------------------------------------------


def test_given_the_module_then_standard_files_exist_and_all_parse() -> None:
    names = {path.name for path in tf_files()}
    assert {"versions.tf", "variables.tf", "main.tf", "outputs.tf"} <= names
    assert (TF_DIR / "README.md").is_file()
    assert set(parsed()) == names


def test_terraform_and_providers_are_pinned() -> None:
    terraform = first(list(blocks("terraform")))
    assert re.fullmatch(r">=\s*1\.(6|[7-9]|\d\d)(\.\d+)?", terraform["required_version"])
    providers = first(terraform["required_providers"])
    assert {"google", "google-beta", "archive"} <= set(providers)
    for name, spec in providers.items():
        assert spec["source"] == f"hashicorp/{name}"
        assert re.fullmatch(r"~>\s*\d+\.\d+(\.\d+)?", spec["version"]), f"{name} must be pinned with ~>"
    assert providers["google"]["version"] == providers["google-beta"]["version"]
    assert providers["google"]["version"].replace(" ", "") == "~>6.0"


def test_every_variable_has_type_and_description() -> None:
    for name, body in variables().items():
        assert body.get("type"), f"variable {name} has no type"
        assert isinstance(body.get("description"), str) and body["description"].strip(), f"{name}: no description"


def test_core_variables_have_the_agreed_defaults() -> None:
    v = variables()
    assert "default" not in v["project_id"]
    assert v["region"]["default"] == "us-central1"
    assert v["dataset_id"]["default"] == "sales_intel"
    assert v["dataset_location"]["default"] == "US"
    assert v["alert_email"]["default"] is None
    assert v["embedding_model"]["default"] == "text-embedding-005"
    assert v["jobs"]["type"].startswith("${map(object(")


def test_every_output_has_a_description_and_the_agreed_outputs_exist() -> None:
    out = outputs()
    assert {"function_uris", "service_account_emails", "dataset_id"} <= set(out)
    for name, body in out.items():
        assert body.get("description"), f"output {name} has no description"
    assert "google_cloudfunctions2_function.job" in out["function_uris"]["value"]
    assert "service_config[0].uri" in out["function_uris"]["value"]
    assert "google_service_account.job" in out["service_account_emails"]["value"]
    assert out["dataset_id"]["value"] == "${google_bigquery_dataset.warehouse.dataset_id}"


# --------------------------------------------------------------------------------------------------------------------
# The one map of jobs
# --------------------------------------------------------------------------------------------------------------------


def test_job_catalog_and_jobs_variable_name_exactly_the_seven_jobs() -> None:
    assert set(catalog()) == set(JOBS)
    assert set(jobs_default()) == set(JOBS)
    key_check = variables()["jobs"]["validation"][0]["condition"]
    for name in JOBS:
        assert f'"{name}"' in key_check, f"jobs validation must require {name}"


def test_jobs_local_merges_catalog_with_variable_by_key() -> None:
    expr = locals_()["jobs"]
    assert expr.startswith("${{for name, job in local.job_catalog : name => merge(job, var.jobs[name]")
    assert "entry_point = job.source_dir" in expr


@pytest.mark.parametrize("name", sorted(JOBS))
def test_source_folder_and_entry_point_follow_the_naming_convention(name: str) -> None:
    assert catalog()[name]["source_dir"] == JOBS[name] == name.replace("-", "_")


@pytest.mark.parametrize(
    ("rtype", "rname"),
    [
        ("google_service_account", "job"),
        ("google_cloudfunctions2_function", "job"),
        ("google_storage_bucket_object", "source"),
        ("google_bigquery_dataset_iam_member", "job_data_editor"),
        ("google_cloud_run_service_iam_member", "scheduler_invoker"),
    ],
)
def test_per_job_resources_iterate_the_same_map(rtype: str, rname: str) -> None:
    assert resources(rtype)[rname]["for_each"] == JOBS_MAP


def test_source_zip_is_built_per_job_from_build_folder_and_named_by_md5() -> None:
    archive = next(b["archive_file"]["source"] for b in blocks("data") if "archive_file" in b)
    assert archive["for_each"] == JOBS_MAP
    assert archive["type"] == "zip"
    assert archive["source_dir"] == "${local.build_dir}/${each.value.source_dir}"
    assert "/../build" in locals_()["build_dir"]
    obj = resources("google_storage_bucket_object")["source"]
    assert "data.archive_file.source[each.key].output_md5" in obj["name"]
    assert obj["source"] == "${data.archive_file.source[each.key].output_path}"


def test_scheduler_jobs_iterate_the_schedules_of_every_job() -> None:
    assert resources("google_cloud_scheduler_job")["job"]["for_each"] == "${local.schedules}"
    expr = locals_()["schedules"]
    assert expr.startswith("${merge([for name, job in local.jobs : {for key, schedule in job.schedules :")
    assert 'name = key == "default" ? name : "${name}-${key}"' in _unescape(expr)
    assert "time_zone = coalesce(schedule.time_zone, var.time_zone)" in expr
    assert "timeout_seconds = job.timeout_seconds" in expr
    assert {s["job"] for s in schedules()} == set(JOBS)
    names = [s["name"] for s in schedules()]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z][a-z0-9-]{0,62}", n) for n in names), names


def test_default_bodies_and_sizes() -> None:
    for name in JOBS:
        settings = job_settings(name)
        assert "default" in settings["schedules"], name
        body = json.loads(settings["schedules"]["default"]["body"])
        assert body == ({"sync_type": "incremental"} if name in SYNCS else {}), name
        assert 60 <= settings["timeout_seconds"] <= 1740, name
        assert settings["max_instances"] >= 1, name
        if name in SYNCS:
            assert (settings["memory"], settings["timeout_seconds"]) == ("1Gi", 540), name
    assert job_settings("account-scoring")["memory"] == "2Gi"
    fulls = {s["job"]: json.loads(s["body"]) for s in schedules() if s["key"] == "full"}
    assert fulls == {"salesforce-sync": {"sync_type": "full"}, "dialpad-sync": {"sync_type": "full"}}
    assert not any(s["paused"] for s in schedules())


# --------------------------------------------------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------------------------------------------------


def test_functions_are_python311_http_and_run_as_their_own_service_account() -> None:
    fn = resources("google_cloudfunctions2_function")["job"]
    assert fn["name"] == "${each.key}"
    build = first(fn["build_config"])
    assert build["runtime"] == "python311"
    assert build["entry_point"] == "${each.value.entry_point}"
    storage = first(first(build["source"])["storage_source"])
    assert storage["object"] == "${google_storage_bucket_object.source[each.key].name}"
    assert "event_trigger" not in fn, "functions are HTTP-triggered"
    service = first(fn["service_config"])
    assert service["service_account_email"] == "${google_service_account.job[each.key].email}"
    assert service["available_memory"] == "${each.value.memory}"
    assert service["timeout_seconds"] == "${each.value.timeout_seconds}"
    assert service["max_instance_count"] == "${each.value.max_instances}"
    assert service["environment_variables"] == "${each.value.environment}"
    assert service["ingress_settings"] == "${var.ingress_settings}"
    allowed = {"ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"}
    assert variables()["ingress_settings"]["default"] in allowed


def test_every_function_environment_points_at_the_bigquery_warehouse() -> None:
    loc = locals_()
    assert loc["warehouse_uri"] == "bigquery://${var.project_id}/${var.dataset_id}"
    common = loc["common_env"]
    assert common["WAREHOUSE"] == "${local.warehouse_uri}"
    assert common["GOOGLE_CLOUD_PROJECT"] == "${var.project_id}"
    assert common["LOG_LEVEL"] == "${var.log_level}"
    # Every job's environment is built from common_env; a job may not override the warehouse.
    assert "merge(local.common_env, job.env)" in loc["jobs"]
    for name, job in catalog().items():
        assert not {"WAREHOUSE", "GOOGLE_CLOUD_PROJECT"} & set(job["env"]), name


@pytest.mark.parametrize("name", sorted(JOBS))
def test_non_secret_settings_per_job_come_from_variables(name: str) -> None:
    env = catalog()[name]["env"]
    assert ENV[name] <= set(env), f"{name} lacks {ENV[name] - set(env)}"
    for key, value in env.items():
        if (name, key) in FIXED_ENV:
            assert value == FIXED_ENV[name, key], f"{name}.{key}={value}"
        else:
            assert re.fullmatch(r"\$\{[^}]*\b(var|local)\.\w+[^}]*\}", value), f"{name}.{key}={value}"


def test_embeddings_default_to_vertex_text_embedding_005() -> None:
    env = catalog()["generate-embeddings"]["env"]
    assert env["EMBEDDING_MODEL"] == "${var.embedding_model}"
    assert env["VERTEX_LOCATION"] == "${local.vertex_location}"
    assert "var.region" in locals_()["vertex_location"]


# --------------------------------------------------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(JOBS))
def test_each_job_declares_exactly_its_secrets_with_matching_env_names(name: str) -> None:
    secrets = catalog()[name]["secrets"]
    assert set(secrets.values()) == SECRETS[name]
    for env_name, secret_id in secrets.items():
        assert env_name == secret_id.upper().replace("-", "_")


def test_secrets_reach_functions_as_secret_manager_references() -> None:
    expr = _unescape(locals_()["jobs"])
    assert 'env_name => "secretmanager://projects/${var.project_id}/secrets/${secret_id}"' in expr
    fn = first(resources("google_cloudfunctions2_function")["job"]["service_config"])
    assert "secret_environment_variables" not in fn, "secrets are resolved at run time, not pinned at deploy"


def test_no_secret_values_in_terraform() -> None:
    assert not resources("google_secret_manager_secret_version")
    text = raw_text()
    assert "secret_data" not in text
    example = TF_DIR / "terraform.tfvars.example"
    if example.exists():
        text += example.read_text()
    leaks = {
        "private key": r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
        "anthropic key": r"sk-ant-[A-Za-z0-9_-]{10,}",
        "openai-style key": r"\bsk-[A-Za-z0-9]{20,}",
        "google api key": r"AIza[0-9A-Za-z_-]{20,}",
        "oauth token": r"ya29\.[0-9A-Za-z_-]+",
        "aws key": r"AKIA[0-9A-Z]{16}",
        "slack/github token": r"\b(xox[abpr]-|ghp_|gho_)[A-Za-z0-9-]{10,}",
        "salesforce token": r"00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{20,}",
        "long opaque string": r"\"[A-Za-z0-9+/_=-]{40,}\"",
    }
    for what, pattern in leaks.items():
        assert not re.search(pattern, text), f"looks like a literal {what} in the Terraform"


def test_secret_containers_exist_for_every_declared_secret() -> None:
    secret = single("google_secret_manager_secret")
    assert secret["for_each"] == "${local.secret_owners}"
    assert secret["secret_id"] == "${each.key}"
    assert "secret_data" not in secret
    assert "job.secrets" in locals_()["secret_owners"]
    all_ids = [sid for job in catalog().values() for sid in job["secrets"].values()]
    assert len(all_ids) == len(set(all_ids)), "each secret belongs to one job"


def test_secret_accessor_is_granted_per_secret_never_project_wide() -> None:
    grant = single("google_secret_manager_secret_iam_member")
    assert grant["role"] == "roles/secretmanager.secretAccessor"
    assert grant["for_each"] == "${local.secret_owners}"
    assert grant["secret_id"] == "${google_secret_manager_secret.job[each.key].secret_id}"
    assert grant["member"] == "${google_service_account.job[each.value].member}"
    for rtype, name, body in all_resources():
        if rtype.startswith("google_project_iam"):
            assert "secretmanager" not in json.dumps(body), f"{rtype}.{name} grants Secret Manager project-wide"
    for job in catalog().values():
        assert not any("secretmanager" in role for role in job["project_roles"])


# --------------------------------------------------------------------------------------------------------------------
# IAM
# --------------------------------------------------------------------------------------------------------------------


def test_no_public_principals_anywhere() -> None:
    text = raw_text()
    for principal in PUBLIC_PRINCIPALS:
        assert principal not in text
    for rtype, name, body in all_resources():
        if "_iam_" in rtype:
            member = body.get("member", "")
            assert member.startswith("${") or member.startswith(("serviceAccount:", "group:", "user:")), name
    for var_name in ("invoker_members", "analyst_members"):
        condition = first(variables()[var_name]["validation"])["condition"]
        assert "(user|group|serviceAccount):" in condition


def test_one_service_account_per_job_with_a_valid_account_id() -> None:
    sa = resources("google_service_account")["job"]
    assert sa["account_id"] == "fn-${each.key}"
    for name in JOBS:
        account_id = f"fn-{name}"
        assert re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", account_id), account_id
    for name, body in resources("google_service_account").items():
        if name != "job":
            assert re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", body["account_id"]), name


def test_data_editor_is_dataset_level_and_job_user_project_level() -> None:
    editor = resources("google_bigquery_dataset_iam_member")["job_data_editor"]
    assert editor["role"] == "roles/bigquery.dataEditor"
    assert editor["dataset_id"] == "${google_bigquery_dataset.warehouse.dataset_id}"
    assert editor["member"] == "${google_service_account.job[each.key].member}"
    for rtype, name, body in all_resources():
        if rtype.startswith("google_project_iam"):
            assert "dataEditor" not in json.dumps(body), f"{rtype}.{name} grants dataEditor project-wide"
    project_roles = _unescape(locals_()["job_project_roles"])
    assert 'concat(["roles/bigquery.jobUser"], job.project_roles)' in project_roles
    assert "dataEditor" not in project_roles
    project_grant = resources("google_project_iam_member")["job"]
    assert project_grant["for_each"] == "${local.job_project_roles}"
    assert project_grant["role"] == "${each.value.role}"


def test_only_the_functions_that_call_vertex_ai_get_vertex_ai_user() -> None:
    for name, job in catalog().items():
        expected = {
            "generate-embeddings": ["roles/aiplatform.user"],
            "account-scoring": '${var.scoring_narrative ? ["roles/aiplatform.user"] : []}',
        }.get(name, [])
        assert job["project_roles"] == expected, name
    assert variables()["scoring_narrative"]["default"] is False
    assert catalog()["account-scoring"]["env"]["SCORING_NARRATIVE"] == "${tostring(var.scoring_narrative)}"


def test_gmail_sync_may_sign_as_itself_and_nothing_else_does() -> None:
    signers = {name for name, job in catalog().items() if job["signs_as_self"]}
    assert signers == {"gmail-sync"}
    grant = single("google_service_account_iam_member")
    assert grant["role"] == "roles/iam.serviceAccountTokenCreator"
    assert grant["service_account_id"] == "${google_service_account.job[each.key].name}"
    assert grant["member"] == "${google_service_account.job[each.key].member}"
    assert "job.signs_as_self" in grant["for_each"]


def test_scheduler_invoker_is_granted_run_invoker_on_each_function_service_only() -> None:
    invoker = resources("google_cloud_run_service_iam_member")["scheduler_invoker"]
    assert invoker["role"] == "roles/run.invoker"
    assert invoker["service"] == "${google_cloudfunctions2_function.job[each.key].service_config[0].service}"
    assert invoker["member"] == "${google_service_account.scheduler.member}"
    for rtype, name, body in all_resources():
        if rtype.startswith("google_project_iam"):
            assert "run.invoker" not in json.dumps(body), f"{rtype}.{name} grants run.invoker project-wide"
            assert "cloudfunctions.invoker" not in json.dumps(body)


# --------------------------------------------------------------------------------------------------------------------
# Scheduler
# --------------------------------------------------------------------------------------------------------------------


def test_schedulers_post_json_with_an_oidc_token_for_the_function() -> None:
    job = resources("google_cloud_scheduler_job")["job"]
    assert job["name"] == "${each.value.name}"
    assert job["schedule"] == "${each.value.cron}"
    assert job["time_zone"] == "${each.value.time_zone}"
    assert job["paused"] == "${each.value.paused}"
    deadline = re.fullmatch(r"\$\{min\(each\.value\.timeout_seconds \+ (\d+), (\d+)\)\}s", job["attempt_deadline"])
    assert deadline and int(deadline.group(2)) <= 1800
    retry = first(job["retry_config"])
    assert retry["retry_count"] == 3
    assert retry["min_backoff_duration"] and retry["max_backoff_duration"]
    target = first(job["http_target"])
    uri = "${google_cloudfunctions2_function.job[each.value.job].service_config[0].uri}"
    assert target["http_method"] == "POST"
    assert target["uri"] == uri
    assert target["body"] == "${base64encode(each.value.body)}"
    assert target["headers"] == {"Content-Type": "application/json"}
    assert "oauth_token" not in target
    oidc = first(target["oidc_token"])
    assert oidc["service_account_email"] == "${google_service_account.scheduler.email}"
    assert oidc["audience"] == uri


# --------------------------------------------------------------------------------------------------------------------
# BigQuery, APIs, monitoring, docs
# --------------------------------------------------------------------------------------------------------------------


def test_dataset_uses_variables_and_never_expires_tables() -> None:
    dataset = single("google_bigquery_dataset")
    assert dataset["dataset_id"] == "${var.dataset_id}"
    assert dataset["location"] == "${var.dataset_location}"
    assert "default_table_expiration_ms" not in dataset
    assert dataset["labels"]
    assert not resources("google_bigquery_table"), "tables and views come from sql/ via `make schema`"


def test_required_apis_are_enabled() -> None:
    service = single("google_project_service")
    assert service["for_each"] == "${local.required_apis}"
    enabled = set(re.findall(r"[a-z]+\.googleapis\.com", locals_()["required_apis"]))
    assert enabled >= REQUIRED_APIS


def test_log_metrics_watch_usage_alerts_failed_and_abandoned_runs() -> None:
    metrics = resources("google_logging_metric")
    usage = _unescape(metrics["usage_alerts"]["filter"])
    assert "jsonPayload.alert_type" in usage
    assert "severity>=WARNING" in usage
    assert 'service_name="usage-collect"' in usage
    failed = _unescape(metrics["failed_runs"]["filter"])
    assert 'jsonPayload.message="run finished"' in failed
    assert 'jsonPayload.status="failed"' in failed
    abandoned = _unescape(metrics["abandoned_runs"]["filter"])
    assert "jsonPayload.abandoned_run_id:*" in abandoned  # the field RunLedger logs for each abandoned run
    assert "severity>=ERROR" in abandoned


def test_every_function_knows_its_timeout_for_its_deadline_and_time_budget() -> None:
    environment = locals_()["jobs"]
    assert "{FUNCTION_TIMEOUT_SECONDS = tostring(var.jobs[name].timeout_seconds)}" in str(environment)


def test_alert_policies_use_the_metrics_and_an_optional_email_channel() -> None:
    channel = single("google_monitoring_notification_channel")
    assert channel["type"] == "email"
    assert channel["count"] == "${local.alerting_enabled ? 1 : 0}"
    assert locals_()["alerting_enabled"] == "${var.alert_email != null}"
    policies = resources("google_monitoring_alert_policy")
    for metric in ("usage_alerts", "failed_runs", "abandoned_runs"):
        policy = policies[metric]
        condition = first(first(policy["conditions"])["condition_threshold"])
        assert f"google_logging_metric.{metric}.name" in condition["filter"]
        assert "google_monitoring_notification_channel.email[*]" in policy["notification_channels"]


def test_readme_documents_the_manual_steps() -> None:
    readme = (TF_DIR / "README.md").read_text()
    for needle in (
        "make build",
        "terraform apply",
        "make schema WAREHOUSE=bigquery://",
        "gcloud secrets versions add",
        "https://www.googleapis.com/auth/gmail.readonly",
        "gmail_delegation_client_id",
        "spreadsheets.readonly",
    ):
        assert needle in readme, needle


def test_nothing_in_terraform_reads_outside_the_repository() -> None:
    assert "../shared" not in raw_text()
    assert all(path.resolve().is_relative_to(TF_DIR) for path in tf_files())
