# Secret CONTAINERS only. Values are added out of band (gcloud secrets versions add ...), never through Terraform,
# so no secret material reaches the plan or the state. Functions get secretmanager:// references in their
# environment and read the latest version at run time, so a rotation needs no redeploy.

resource "google_secret_manager_secret" "job" {
  for_each = local.secret_owners

  project   = var.project_id
  secret_id = each.key
  labels = {
    job = each.value
  }

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

# Accessor on exactly the secrets a job declares in local.job_catalog, one binding per secret (never project-wide).
resource "google_secret_manager_secret_iam_member" "job_accessor" {
  for_each = local.secret_owners

  project   = var.project_id
  secret_id = google_secret_manager_secret.job[each.key].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.job[each.value].member
}
