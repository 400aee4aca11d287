# Deployable sources: `make build` writes build/<source_dir>/ (main.py + shared/ + sql/ + requirements.txt).
# Each folder is zipped and uploaded under its md5, so any change to a bundle redeploys that function only.

resource "google_storage_bucket" "sources" {
  # checkov:skip=CKV_GCP_62: holds only the zipped function sources Terraform uploads; Cloud Audit Logs record who changes them, and an access-log bucket would need access logs of its own
  # checkov:skip=CKV_GCP_78: objects are named by the md5 of their content and never overwritten, so versioning would keep nothing new
  project                     = var.project_id
  name                        = local.source_bucket
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  depends_on = [google_project_service.enabled]
}

data "archive_file" "source" {
  for_each = local.jobs

  type             = "zip"
  source_dir       = "${local.build_dir}/${each.value.source_dir}"
  output_path      = "${path.module}/.dist/${each.value.source_dir}.zip"
  output_file_mode = "0644"
  excludes         = ["**/__pycache__/**", "**/*.pyc", "**/.DS_Store"]
}

resource "google_storage_bucket_object" "source" {
  for_each = local.jobs

  bucket       = google_storage_bucket.sources.name
  name         = "${each.value.source_dir}/${data.archive_file.source[each.key].output_md5}.zip"
  source       = data.archive_file.source[each.key].output_path
  content_type = "application/zip"
}

resource "google_cloudfunctions2_function" "job" {
  # checkov:skip=CKV_GCP_124: ingress defaults to ALLOW_ALL so that operators can call a function with curl from outside the VPC; every caller still needs an identity token and roles/run.invoker, no public invoker is ever granted (tests/infra), and var.ingress_settings tightens it
  for_each = local.jobs

  project     = var.project_id
  location    = var.region
  name        = each.key
  description = each.value.description

  build_config {
    runtime         = "python311"
    entry_point     = each.value.entry_point
    service_account = google_service_account.builder.id

    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.source[each.key].name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.job[each.key].email
    available_memory                 = each.value.memory
    available_cpu                    = each.value.cpu
    timeout_seconds                  = each.value.timeout_seconds
    min_instance_count               = 0
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = 1
    ingress_settings                 = var.ingress_settings
    all_traffic_on_latest_revision   = true
    # Non-secret settings plus secretmanager:// REFERENCES (never values); see local.jobs.
    environment_variables = each.value.environment
  }

  # A function must not start before it can read its secrets and write its dataset.
  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.builder,
    google_project_iam_member.job,
    google_bigquery_dataset_iam_member.job_data_editor,
    google_secret_manager_secret_iam_member.job_accessor,
    google_service_account_iam_member.self_token_creator,
  ]
}
