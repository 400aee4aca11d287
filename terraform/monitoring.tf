# Log-based metrics over the functions' structured JSON logs (2nd gen functions log as cloud_run_revision, with
# the function name as service_name) and an alert policy on each. Email notification is optional.

locals {
  alerting_enabled = var.alert_email != null
  # ("gmail-sync" OR "salesforce-sync" OR ...) for a Logging query.
  job_service_names = "(${join(" OR ", formatlist("\"%s\"", keys(local.jobs)))})"
}

resource "google_monitoring_notification_channel" "email" {
  count = local.alerting_enabled ? 1 : 0

  project      = var.project_id
  display_name = "sales-intel alerts"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }

  depends_on = [google_project_service.enabled]
}

# Usage alerts raised by usage-collect (spend spikes, unattributed keys, ...): log entries carrying
# jsonPayload.alert_type at WARNING or above.
resource "google_logging_metric" "usage_alerts" {
  project     = var.project_id
  name        = "sales_intel_usage_alerts"
  description = "usage-collect log entries with jsonPayload.alert_type at severity WARNING or above."
  filter      = <<-EOT
    resource.type="cloud_run_revision"
    resource.labels.service_name="usage-collect"
    severity>=WARNING
    jsonPayload.alert_type:*
  EOT

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "sales-intel usage alerts"

    labels {
      key         = "alert_type"
      value_type  = "STRING"
      description = "jsonPayload.alert_type of the log entry"
    }
  }

  label_extractors = {
    alert_type = "EXTRACT(jsonPayload.alert_type)"
  }

  depends_on = [google_project_service.enabled]
}

# Runs that closed as failed: every job logs message "run finished" with its final status.
resource "google_logging_metric" "failed_runs" {
  project     = var.project_id
  name        = "sales_intel_failed_runs"
  description = "Function runs that finished with status failed."
  filter      = <<-EOT
    resource.type="cloud_run_revision"
    resource.labels.service_name=${local.job_service_names}
    jsonPayload.message="run finished"
    jsonPayload.status="failed"
  EOT

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "sales-intel failed runs"

    labels {
      key         = "function"
      value_type  = "STRING"
      description = "Function (Cloud Run service) whose run failed"
    }
  }

  label_extractors = {
    function = "EXTRACT(resource.labels.service_name)"
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_alert_policy" "usage_alerts" {
  project               = var.project_id
  display_name          = "sales-intel: AI usage alert"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = google_monitoring_notification_channel.email[*].name

  conditions {
    display_name = "usage-collect raised an alert"

    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.usage_alerts.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.alert_type"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "usage-collect logged an AI usage alert (`jsonPayload.alert_type`). Check the alerts view in the `${var.dataset_id}` dataset and the function's logs for the details."
  }
}

resource "google_monitoring_alert_policy" "failed_runs" {
  project               = var.project_id
  display_name          = "sales-intel: function run failed"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = google_monitoring_notification_channel.email[*].name

  conditions {
    display_name = "a run finished with status failed"

    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.failed_runs.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.function"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "3600s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A sales-intel function closed its run as `failed` (see `metric.label.function`). Look up the run in `etl_runs` (status = 'failed', error_message) and filter the function's logs by its run_id. Cloud Scheduler retries failed calls up to 3 times."
  }
}

# Runs that never closed (stopped at the function timeout, out of memory, instance crash): the next run of the
# function finds them past their deadline and logs "run abandoned: ..." with jsonPayload.abandoned_run_id.
resource "google_logging_metric" "abandoned_runs" {
  project     = var.project_id
  name        = "sales_intel_abandoned_runs"
  description = "Function runs found abandoned (still running past their deadline) by the next run."
  filter      = <<-EOT
    resource.type="cloud_run_revision"
    resource.labels.service_name=${local.job_service_names}
    severity>=ERROR
    jsonPayload.abandoned_run_id:*
  EOT

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "sales-intel abandoned runs"

    labels {
      key         = "function"
      value_type  = "STRING"
      description = "Function (Cloud Run service) whose run was abandoned"
    }
  }

  label_extractors = {
    function = "EXTRACT(resource.labels.service_name)"
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_alert_policy" "abandoned_runs" {
  project               = var.project_id
  display_name          = "sales-intel: function run abandoned"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = google_monitoring_notification_channel.email[*].name

  conditions {
    display_name = "a run never closed before its deadline"

    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.abandoned_runs.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.function"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "3600s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A sales-intel run never closed: it was still `running` past its deadline (the function timeout plus a margin), so the instance was stopped (timeout, out of memory, crash). `etl_runs` shows it as `abandoned`. If it recurs, lower TIME_BUDGET_SECONDS or raise the function's memory; a sync resumes from its last checkpoint."
  }
}
