# Identities and the least-privilege grants between them. Data-level grants live next to their resource:
# secret access in secrets.tf, dataset access in bigquery.tf.

# One runtime identity per job.
resource "google_service_account" "job" {
  for_each = local.jobs

  project      = var.project_id
  account_id   = "fn-${each.key}"
  display_name = "Cloud Function ${each.key}"
  description  = "Runtime identity of the ${each.key} function: ${each.value.description}"

  depends_on = [google_project_service.enabled]
}

# Project-level roles: roles/bigquery.jobUser for every job (run query and load jobs) plus each job's
# project_roles from local.job_catalog (roles/aiplatform.user for generate-embeddings).
resource "google_project_iam_member" "job" {
  for_each = local.job_project_roles

  project = var.project_id
  role    = each.value.role
  member  = google_service_account.job[each.value.job].member
}

# Domain-wide delegation without a key file: the job signs the delegation JWT with IAM Credentials signJwt as
# ITSELF, which needs Token Creator on its own service account (and nothing else).
resource "google_service_account_iam_member" "self_token_creator" {
  for_each = { for name, job in local.jobs : name => job if job.signs_as_self }

  service_account_id = google_service_account.job[each.key].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.job[each.key].member
}

# The identity Cloud Scheduler presents (OIDC token) when it calls the functions.
resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "fn-scheduler-invoker"
  display_name = "Cloud Scheduler invoker"
  description  = "Calls the sales-intel functions on schedule; roles/run.invoker on each function's service only."

  depends_on = [google_project_service.enabled]
}

# Invoker on each function's underlying Cloud Run service, never project-wide.
resource "google_cloud_run_service_iam_member" "scheduler_invoker" {
  for_each = local.jobs

  project  = var.project_id
  location = google_cloudfunctions2_function.job[each.key].location
  service  = google_cloudfunctions2_function.job[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.scheduler.member
}

# Operators who may call the functions by hand with an identity token.
resource "google_cloud_run_service_iam_member" "operator_invoker" {
  for_each = local.job_invokers

  project  = var.project_id
  location = google_cloudfunctions2_function.job[each.value.job].location
  service  = google_cloudfunctions2_function.job[each.value.job].service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value.member
}

# The identity Cloud Build uses to build the function images (instead of the default compute or Cloud Build
# account). Roles are the ones Google documents for a user-specified build service account.
resource "google_service_account" "builder" {
  project      = var.project_id
  account_id   = "fn-builder"
  display_name = "Cloud Functions builder"
  description  = "Builds the sales-intel function images with Cloud Build."

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "builder" {
  for_each = toset([
    "roles/artifactregistry.writer",
    "roles/logging.logWriter",
    "roles/storage.objectAdmin",
  ])

  project = var.project_id
  role    = each.value
  member  = google_service_account.builder.member
}
