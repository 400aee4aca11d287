# One Cloud Scheduler job per function. Order within an hour (UTC): syncs at :00/:30, :05/:35 and :10,
# entity-resolution at :25 once they have landed, generate-embeddings at :45; usage-collect daily 05:00,
# account-scoring daily 06:00. Times come from var.jobs.

resource "google_cloud_scheduler_job" "job" {
  for_each = local.jobs

  project     = var.project_id
  region      = local.scheduler_region
  name        = each.key
  description = "Triggers ${each.key}: ${each.value.description}"
  schedule    = each.value.schedule
  time_zone   = "Etc/UTC"
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
    uri         = google_cloudfunctions2_function.job[each.key].service_config[0].uri
    body        = base64encode(each.value.body)
    headers = {
      "Content-Type" = "application/json"
    }

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = google_cloudfunctions2_function.job[each.key].service_config[0].uri
    }
  }

  depends_on = [
    google_project_service.enabled,
    google_cloud_run_service_iam_member.scheduler_invoker,
  ]
}
