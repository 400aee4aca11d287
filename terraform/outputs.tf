output "function_uris" {
  description = "HTTPS endpoint of each function, keyed by job name (callers need an identity token)."
  value       = { for name, fn in google_cloudfunctions2_function.job : name => fn.service_config[0].uri }
}

output "service_account_emails" {
  description = "Runtime service account email of each function, keyed by job name."
  value       = { for name, sa in google_service_account.job : name => sa.email }
}

output "scheduler_service_account_email" {
  description = "Service account Cloud Scheduler presents (OIDC) when calling the functions."
  value       = google_service_account.scheduler.email
}

output "dataset_id" {
  description = "BigQuery dataset of the warehouse."
  value       = google_bigquery_dataset.warehouse.dataset_id
}

output "warehouse" {
  description = "WAREHOUSE value the functions use; pass it to `make schema WAREHOUSE=...`."
  value       = local.warehouse_uri
}

output "secret_ids" {
  description = "Secret Manager secrets to fill (gcloud secrets versions add), keyed by secret id, with the job that reads each."
  value       = { for id, secret in google_secret_manager_secret.job : id => { name = secret.name, job = local.secret_owners[id] } }
}

output "gmail_delegation_client_id" {
  description = "OAuth client ID of the gmail-sync service account: a Workspace admin authorises it for https://www.googleapis.com/auth/gmail.readonly (domain-wide delegation)."
  value       = google_service_account.job["gmail-sync"].unique_id
}

output "usage_sheet_share_with" {
  description = "Share the usage mapping sheet (Viewer) with this service account email."
  value       = google_service_account.job["usage-collect"].email
}

output "source_bucket" {
  description = "Bucket holding the zipped function sources."
  value       = google_storage_bucket.sources.name
}
