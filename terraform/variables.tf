# ---------------------------------------------------------------------------------------------------------------------
# Project, placement, naming
# ---------------------------------------------------------------------------------------------------------------------

variable "project_id" {
  type        = string
  description = "Google Cloud project that hosts the functions, schedulers, secrets and the BigQuery dataset."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 lowercase letters, digits or hyphens), not a project number."
  }
}

variable "region" {
  type        = string
  description = "Region of the Cloud Functions (2nd gen), their source bucket and, unless scheduler_region is set, the Cloud Scheduler jobs."
  default     = "us-central1"
}

variable "scheduler_region" {
  type        = string
  description = "Region of the Cloud Scheduler jobs; null means the same as region."
  default     = null
}

variable "dataset_id" {
  type        = string
  description = "BigQuery dataset that is the warehouse (WAREHOUSE=bigquery://PROJECT/DATASET)."
  default     = "sales_intel"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]{0,1023}$", var.dataset_id))
    error_message = "dataset_id may contain only letters, digits and underscores."
  }
}

variable "dataset_location" {
  type        = string
  description = "BigQuery location of the dataset (multi-region such as US or EU, or a region). Cannot change after creation."
  default     = "US"
}

variable "labels" {
  type        = map(string)
  description = "Labels applied to every resource that supports them (provider default_labels)."
  default = {
    app        = "sales-intel"
    managed-by = "terraform"
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# The seven jobs: operational settings. What each job's code needs (folder, secrets, settings) is local.job_catalog.
# ---------------------------------------------------------------------------------------------------------------------

variable "jobs" {
  type = map(object({
    schedule        = string
    body            = optional(string, "{}")
    memory          = optional(string, "1Gi")
    cpu             = optional(string, "1")
    timeout_seconds = optional(number, 540)
    max_instances   = optional(number, 1)
    paused          = optional(bool, false)
  }))
  description = <<-EOT
    Per-job operational settings keyed by the job's Cloud name; must name exactly the seven jobs. schedule is a
    cron in Etc/UTC; body is the JSON the scheduler POSTs; memory/cpu/timeout_seconds/max_instances size the
    function; paused pauses the scheduler job only. Omitted attributes take the defaults in the type.
  EOT
  default = {
    "gmail-sync" = {
      schedule        = "*/30 * * * *"
      body            = "{\"sync_type\":\"incremental\"}"
      memory          = "1Gi"
      timeout_seconds = 540
      max_instances   = 1
    }
    "salesforce-sync" = {
      schedule        = "5,35 * * * *"
      body            = "{\"sync_type\":\"incremental\"}"
      memory          = "1Gi"
      timeout_seconds = 540
      max_instances   = 1
    }
    "dialpad-sync" = {
      schedule        = "10 * * * *"
      body            = "{\"sync_type\":\"incremental\"}"
      memory          = "1Gi"
      timeout_seconds = 540
      max_instances   = 1
    }
    "entity-resolution" = {
      schedule        = "25 * * * *"
      body            = "{}"
      memory          = "1Gi"
      timeout_seconds = 540
      max_instances   = 1
    }
    "generate-embeddings" = {
      schedule        = "45 * * * *"
      body            = "{}"
      memory          = "1Gi"
      timeout_seconds = 540
      max_instances   = 1
    }
    "usage-collect" = {
      schedule        = "0 5 * * *"
      body            = "{}"
      memory          = "1Gi"
      timeout_seconds = 540
      max_instances   = 1
    }
    "account-scoring" = {
      schedule        = "0 6 * * *"
      body            = "{}"
      memory          = "2Gi"
      timeout_seconds = 540
      max_instances   = 1
    }
  }

  validation {
    condition = length(setsymmetricdifference(keys(var.jobs), [
      "gmail-sync", "salesforce-sync", "dialpad-sync", "usage-collect",
      "entity-resolution", "generate-embeddings", "account-scoring",
    ])) == 0
    error_message = "jobs must have exactly these keys: gmail-sync, salesforce-sync, dialpad-sync, usage-collect, entity-resolution, generate-embeddings, account-scoring."
  }

  validation {
    condition     = alltrue([for job in values(var.jobs) : can(regex("^[0-9]+(Mi|Gi)$", job.memory))])
    error_message = "jobs[*].memory must look like 512Mi or 2Gi."
  }

  validation {
    condition     = alltrue([for job in values(var.jobs) : job.timeout_seconds >= 60 && job.timeout_seconds <= 1740])
    error_message = "jobs[*].timeout_seconds must be 60..1740 (the scheduler's attempt deadline is timeout + 60s, at most 1800s)."
  }

  validation {
    condition     = alltrue([for job in values(var.jobs) : job.max_instances >= 1])
    error_message = "jobs[*].max_instances must be at least 1."
  }

  validation {
    condition     = alltrue([for job in values(var.jobs) : can(keys(jsondecode(job.body)))])
    error_message = "jobs[*].body must be a JSON object, for example {} or {\"sync_type\":\"incremental\"}."
  }

  validation {
    condition     = alltrue([for job in values(var.jobs) : length(split(" ", trimspace(job.schedule))) == 5])
    error_message = "jobs[*].schedule must be a five-field cron expression."
  }
}

# ---------------------------------------------------------------------------------------------------------------------
# Runtime settings shared by every function
# ---------------------------------------------------------------------------------------------------------------------

variable "log_level" {
  type        = string
  description = "LOG_LEVEL of every function."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "secret_ttl_seconds" {
  type        = number
  description = "How long a function caches a Secret Manager value before re-reading the latest version (SECRET_TTL_SECONDS); rotation takes effect within this time, without a redeploy."
  default     = 300

  validation {
    condition     = var.secret_ttl_seconds >= 0 && var.secret_ttl_seconds <= 3600
    error_message = "secret_ttl_seconds must be 0..3600."
  }
}

variable "ingress_settings" {
  type        = string
  description = "Network ingress of the functions. ALLOW_ALL still requires an authenticated caller with roles/run.invoker (no public invoker is ever granted); ALLOW_INTERNAL_AND_GCLB or ALLOW_INTERNAL_ONLY also blocks operators calling from outside the VPC."
  default     = "ALLOW_ALL"

  validation {
    condition     = contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], var.ingress_settings)
    error_message = "ingress_settings must be ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  }
}

variable "invoker_members" {
  type        = list(string)
  description = "Operators allowed to call every function by hand with an identity token (roles/run.invoker on each function's Cloud Run service), e.g. [\"group:data-ops@example.com\"]."
  default     = []

  validation {
    condition     = alltrue([for m in var.invoker_members : can(regex("^(user|group|serviceAccount):[^@]+@[^@]+$", m))])
    error_message = "invoker_members must be user:, group: or serviceAccount: principals (never a public principal)."
  }
}

variable "analyst_members" {
  type        = list(string)
  description = "Principals who may read the dataset's tables and views (roles/bigquery.dataViewer on the dataset only), e.g. [\"group:sales-analysts@example.com\"]."
  default     = []

  validation {
    condition     = alltrue([for m in var.analyst_members : can(regex("^(user|group|serviceAccount):[^@]+@[^@]+$", m))])
    error_message = "analyst_members must be user:, group: or serviceAccount: principals (never a public principal)."
  }
}

variable "build_dir" {
  type        = string
  description = "Directory holding the `make build` output (one folder per job); null means ../build relative to this module."
  default     = null
}

variable "source_bucket_name" {
  type        = string
  description = "Name of the bucket that holds the zipped function sources; null means PROJECT_ID-function-sources."
  default     = null
}

# ---------------------------------------------------------------------------------------------------------------------
# Per-source, non-secret settings (secrets live in Secret Manager; see local.job_catalog)
# ---------------------------------------------------------------------------------------------------------------------

variable "gmail_mailboxes" {
  type        = list(string)
  description = "Mailboxes gmail-sync reads through domain-wide delegation (GMAIL_MAILBOXES, passed as a JSON array of addresses)."
  default     = []
}

variable "salesforce_auth" {
  type        = string
  description = "Salesforce login flow (SALESFORCE_AUTH): jwt (needs salesforce_username and the salesforce-private-key secret) or client_credentials (salesforce-client-secret)."
  default     = "jwt"

  validation {
    condition     = contains(["jwt", "client_credentials"], var.salesforce_auth)
    error_message = "salesforce_auth must be jwt or client_credentials on a server."
  }
}

variable "salesforce_login_url" {
  type        = string
  description = "Salesforce login host for the JWT bearer flow (SALESFORCE_LOGIN_URL); https://test.salesforce.com for a sandbox org."
  default     = "https://login.salesforce.com"
}

variable "salesforce_instance_url" {
  type        = string
  description = "Salesforce My Domain URL, e.g. https://acme.my.salesforce.com (SALESFORCE_INSTANCE_URL); empty leaves it unset."
  default     = ""
}

variable "salesforce_username" {
  type        = string
  description = "Salesforce integration user the JWT bearer flow logs in as (SALESFORCE_USERNAME); empty leaves it unset."
  default     = ""
}

variable "dialpad_base_url" {
  type        = string
  description = "Dialpad API host (DIALPAD_BASE_URL); https://sandbox.dialpad.com for Dialpad's sandbox."
  default     = "https://dialpad.com"
}

variable "anthropic_base_url" {
  type        = string
  description = "Anthropic Admin API host (ANTHROPIC_BASE_URL)."
  default     = "https://api.anthropic.com"
}

variable "cursor_base_url" {
  type        = string
  description = "Cursor Admin API host (CURSOR_BASE_URL)."
  default     = "https://api.cursor.com"
}

variable "usage_sheet_id" {
  type        = string
  description = "ID of the Google Sheet mapping API keys to users (USAGE_SHEET_ID); share the sheet (Viewer) with the usage-collect service account. Empty leaves it unset."
  default     = ""
}

variable "usage_people_range" {
  type        = string
  description = "Optional A1 range of user_email, name, team rows in the same sheet (USAGE_PEOPLE_RANGE); empty: none."
  default     = ""
}

variable "usage_sheet_range" {
  type        = string
  description = "A1 range read from that sheet (USAGE_SHEET_RANGE), e.g. Mapping!A:D; empty leaves the function's default."
  default     = ""
}

variable "embedding_model" {
  type        = string
  description = "Vertex AI text embedding model used by generate-embeddings (EMBEDDING_MODEL)."
  default     = "text-embedding-005"
}

variable "vertex_location" {
  type        = string
  description = "Vertex AI location for embeddings (VERTEX_LOCATION); null means the same as region."
  default     = null
}

# ---------------------------------------------------------------------------------------------------------------------
# Monitoring
# ---------------------------------------------------------------------------------------------------------------------

variable "alert_email" {
  type        = string
  description = "Email address that receives alert notifications; null creates the alert policies without a notification channel."
  default     = null

  validation {
    condition     = var.alert_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be null or an email address."
  }
}
