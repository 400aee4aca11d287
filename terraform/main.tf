# The one map of the seven jobs. Every per-job resource (service account, source zip, function, scheduler job, IAM)
# is `for_each = local.jobs`, so a job exists everywhere or nowhere.
#
# local.job_catalog is what each job's CODE needs and must stay in step with functions/<source_dir>/:
#   source_dir    folder under build/ (= functions/<source_dir>/) and the Python entry point name
#   env           non-secret settings, read by the job's settings object
#   secrets       env var name => Secret Manager secret id; the function receives
#                 "secretmanager://projects/PROJECT/secrets/ID" and reads the latest version at run time (TTL cache)
#   project_roles project-level roles beyond roles/bigquery.jobUser
#   signs_as_self grant the job's SA roles/iam.serviceAccountTokenCreator on itself (domain-wide delegation)
# var.jobs is what operators tune (schedules, bodies, sizing) and is merged in by key.
# Secret ids are names of Secret Manager containers, not values (checkov's entropy scan mistakes them for keys).

locals {
  warehouse_uri    = "bigquery://${var.project_id}/${var.dataset_id}"
  vertex_location  = coalesce(var.vertex_location, var.region)
  scheduler_region = coalesce(var.scheduler_region, var.region)
  build_dir        = coalesce(var.build_dir, "${path.module}/../build")
  source_bucket    = coalesce(var.source_bucket_name, "${var.project_id}-function-sources")

  # Settings every function receives.
  common_env = {
    WAREHOUSE            = local.warehouse_uri
    GOOGLE_CLOUD_PROJECT = var.project_id
    LOG_LEVEL            = var.log_level
    SECRET_TTL_SECONDS   = tostring(var.secret_ttl_seconds)
  }

  job_catalog = {
    "gmail-sync" = {
      description = "Gmail mailboxes -> gmail_messages, gmail_participants (domain-wide delegation, incremental by history id)"
      source_dir  = "gmail_sync"
      env = {
        GMAIL_MAILBOX_SOURCE   = var.gmail_mailbox_source
        GMAIL_MAILBOXES        = jsonencode(var.gmail_mailboxes)
        GMAIL_MAILBOX_PROFILES = jsonencode(var.gmail_mailbox_profiles)
        GMAIL_MAILBOX_ROLES    = jsonencode(var.gmail_mailbox_roles)
        GMAIL_MAILBOX_GROUP    = var.gmail_mailbox_group
        GMAIL_DIRECTORY_ADMIN  = var.gmail_directory_admin
        COMPANY_DOMAINS        = join(",", var.company_domains)
        GMAIL_EXTERNAL_ONLY    = tostring(var.gmail_external_only)
        GMAIL_SKIP_LABELS      = join(",", var.gmail_skip_labels)
        GMAIL_EXCLUDE          = join(",", var.gmail_exclude)
      }
      secrets       = {}
      project_roles = []
      signs_as_self = true
    }
    "salesforce-sync" = {
      description = "Salesforce objects -> sf_* tables (incremental by SystemModstamp, deletes tracked)"
      source_dir  = "salesforce_sync"
      env = {
        SALESFORCE_AUTH           = var.salesforce_auth
        SALESFORCE_LOGIN_URL      = var.salesforce_login_url
        SALESFORCE_INSTANCE_URL   = var.salesforce_instance_url
        SALESFORCE_USERNAME       = var.salesforce_username
        SALESFORCE_EXTRA_FIELDS   = jsonencode(var.salesforce_extra_fields)
        SALESFORCE_CUSTOM_OBJECTS = join(",", var.salesforce_custom_objects)
      }
      secrets = {
        SALESFORCE_CLIENT_ID     = "salesforce-client-id"     # checkov:skip=CKV_SECRET_6: a secret id, not a value
        SALESFORCE_CLIENT_SECRET = "salesforce-client-secret" # checkov:skip=CKV_SECRET_6: a secret id, not a value
        SALESFORCE_PRIVATE_KEY   = "salesforce-private-key"   # checkov:skip=CKV_SECRET_6: a secret id, not a value
      }
      project_roles = []
      signs_as_self = false
    }
    "dialpad-sync" = {
      description = "Dialpad calls and transcripts -> dialpad_calls"
      source_dir  = "dialpad_sync"
      env = {
        DIALPAD_BASE_URL = var.dialpad_base_url
      }
      secrets = {
        DIALPAD_API_KEY = "dialpad-api-key" # checkov:skip=CKV_SECRET_6: a secret id, not a value
      }
      project_roles = []
      signs_as_self = false
    }
    "usage-collect" = {
      description = "Anthropic and Cursor admin usage/cost + Sheets key mapping -> raw_*, dim_*, fct_* and alerts"
      source_dir  = "usage_collect"
      env = {
        ANTHROPIC_BASE_URL = var.anthropic_base_url
        CURSOR_BASE_URL    = var.cursor_base_url
        USAGE_SHEET_ID     = var.usage_sheet_id
        USAGE_SHEET_RANGE  = var.usage_sheet_range
        USAGE_PEOPLE_RANGE = var.usage_people_range
      }
      secrets = {
        ANTHROPIC_ADMIN_KEY = "anthropic-admin-key"
        CURSOR_ADMIN_KEY    = "cursor-admin-key"
      }
      project_roles = []
      signs_as_self = false
    }
    "entity-resolution" = {
      description = "Links email participants and call numbers to Salesforce contacts, leads and accounts"
      source_dir  = "entity_resolution"
      env = {
        COMPANY_DOMAINS = join(",", var.company_domains)
      }
      secrets       = {}
      project_roles = []
      signs_as_self = false
    }
    "generate-embeddings" = {
      description = "Embeds new or changed message and call text with Vertex AI"
      source_dir  = "generate_embeddings"
      env = {
        EMBEDDER        = "vertex" # the local ONNX embedder is a dev requirement, never in a bundle
        EMBEDDING_MODEL = var.embedding_model
        VERTEX_LOCATION = local.vertex_location
      }
      secrets       = {}
      project_roles = ["roles/aiplatform.user"]
      signs_as_self = false
    }
    "account-scoring" = {
      description = "Daily account_recommendations: priority, budget likelihood, engagement, next action"
      source_dir  = "account_scoring"
      env = {
        SCORING_NARRATIVE = tostring(var.scoring_narrative)
        VERTEX_LOCATION   = local.vertex_location
      }
      secrets       = {}
      project_roles = var.scoring_narrative ? ["roles/aiplatform.user"] : [] # Vertex AI (Gemini) for the narrative only
      signs_as_self = false
    }
  }

  jobs = {
    for name, job in local.job_catalog : name => merge(job, var.jobs[name], {
      entry_point = job.source_dir
      # Empty optional settings are left out so that the function's own default applies.
      environment = merge(
        { for key, value in merge(local.common_env, job.env) : key => value if value != "" },
        # The run's deadline (abandoned after it) and its time budget follow the timeout: TIME_BUDGET_SECONDS is
        # never set here, so each function works for its timeout minus the margin shared/settings.py applies.
        { FUNCTION_TIMEOUT_SECONDS = tostring(var.jobs[name].timeout_seconds) },
        { for env_name, secret_id in job.secrets : env_name => "secretmanager://projects/${var.project_id}/secrets/${secret_id}" }
      )
    })
  }

  # "job/schedule" => one Cloud Scheduler job: "default" is named after the function, any other key K "job-K".
  schedules = merge([
    for name, job in local.jobs : {
      for key, schedule in job.schedules : "${name}/${key}" => {
        job             = name
        name            = key == "default" ? name : "${name}-${key}"
        cron            = schedule.cron
        time_zone       = coalesce(schedule.time_zone, var.time_zone)
        body            = schedule.body
        paused          = schedule.paused
        timeout_seconds = job.timeout_seconds
      }
    }
  ]...)

  # Secret id => job that reads it (each secret belongs to one job).
  secret_owners = merge([
    for name, job in local.job_catalog : { for env_name, secret_id in job.secrets : secret_id => name }
  ]...)

  # "job/role" => {job, role}: project-level roles of each job SA. BigQuery data access is NOT here: it is granted
  # on the dataset only (bigquery.tf).
  job_project_roles = merge([
    for name, job in local.job_catalog : {
      for role in concat(["roles/bigquery.jobUser"], job.project_roles) : "${name}/${role}" => { job = name, role = role }
    }
  ]...)

  # "job/member" => {job, member}: operators allowed to invoke each function by hand.
  job_invokers = merge([
    for name, job in local.job_catalog : {
      for member in var.invoker_members : "${name}/${member}" => { job = name, member = member }
    }
  ]...)

  required_apis = toset([
    "aiplatform.googleapis.com",
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "gmail.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "sheets.googleapis.com",
    "storage.googleapis.com",
  ])
}

resource "google_project_service" "enabled" {
  for_each = local.required_apis

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
