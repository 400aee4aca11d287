# The warehouse dataset. Tables and views are NOT declared here: the app owns them in sql/tables and sql/views and
# applies them with `make schema WAREHOUSE=bigquery://PROJECT/DATASET` (see README.md).

resource "google_bigquery_dataset" "warehouse" {
  # checkov:skip=CKV_GCP_81: encrypted at rest with Google-managed keys; a customer-managed key (Cloud KMS) is an organisation's policy decision this suite does not impose
  project                    = var.project_id
  dataset_id                 = var.dataset_id
  friendly_name              = "Sales intelligence"
  description                = "Gmail, Salesforce, Dialpad and AI usage synced by the sales-intel functions, plus entity links, embeddings and account scores."
  location                   = var.dataset_location
  delete_contents_on_destroy = false
  # No default_table_expiration_ms: tables never expire.

  labels = {
    component = "warehouse"
  }

  depends_on = [google_project_service.enabled]

  lifecycle {
    prevent_destroy = true
  }
}

# Each job writes the dataset (dataset-level grant, not project-level)...
resource "google_bigquery_dataset_iam_member" "job_data_editor" {
  for_each = local.jobs

  project    = var.project_id
  dataset_id = google_bigquery_dataset.warehouse.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.job[each.key].member
}

# ...and analysts read it.
resource "google_bigquery_dataset_iam_member" "analyst_data_viewer" {
  for_each = toset(var.analyst_members)

  project    = var.project_id
  dataset_id = google_bigquery_dataset.warehouse.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = each.value
}
