# Cloud Scheduler jobs: one per entry of var.jobs[*].schedules (local.schedules), in each entry's time zone
# (default var.time_zone). Each morning the syncs land, then entity-resolution, generate-embeddings and
# account-scoring run in that order, each after the previous one's timeout; Salesforce and Dialpad also get a
# weekly full sync. tests/infra/test_schedules.py evaluates the crons and checks that order for a whole year.

resource "google_cloud_scheduler_job" "job" {
  for_each = local.schedules

  project     = var.project_id
  region      = local.scheduler_region
  name        = each.value.name
  description = "Triggers ${each.value.job}: ${local.jobs[each.value.job].description}"
  schedule    = each.value.cron
  time_zone   = each.value.time_zone
  paused      = each.value.paused

  # Let the function run to its own timeout before the attempt is abandoned (HTTP targets allow up to 30 min).
  attempt_deadline = "${min(each.value.timeout_seconds + 60, 1800)}s"

  # A function answers 5xx on failure; the run is idempotent, so retrying is safe.
  retry_config {
    retry_count          = 3
    min_backoff_duration = "60s"
    max_backoff_duration = "600s"
    max_doublings        = 3
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.job[each.value.job].service_config[0].uri
    body        = base64encode(each.value.body)
    headers = {
      "Content-Type" = "application/json"
    }

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = google_cloudfunctions2_function.job[each.value.job].service_config[0].uri
    }
  }

  depends_on = [
    google_project_service.enabled,
    google_cloud_run_service_iam_member.scheduler_invoker,
  ]
}
