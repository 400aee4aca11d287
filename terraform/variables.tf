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
    schedules = map(object({
      cron      = string
      body      = optional(string, "{}")
      time_zone = optional(string)
      paused    = optional(bool, false)
    }))
    memory          = optional(string, "1Gi")
    cpu             = optional(string, "1")
    timeout_seconds = optional(number, 540)
    max_instances   = optional(number, 1)
  }))
  description = <<-EOT
    Per-job operational settings keyed by the job's Cloud name; must name exactly the seven jobs. schedules: one
    Cloud Scheduler job per entry (key "default" is named after the function, any other key K "<function>-K"),
    with a five-field cron, the JSON body it POSTs, its time zone (null: var.time_zone) and paused (pauses that
    scheduler job only). memory/cpu/timeout_seconds/max_instances size the function; the function's time budget
    is its timeout minus the margin shared/settings.py applies. Omitted attributes take the defaults in the type.
  EOT
  # Each morning (time_zone): syncs at :00/:05/:10, entity-resolution :25, generate-embeddings :45 (every three
  # hours from midnight), account-scoring 07:00, before reps start at 08:00. Weekly full syncs Sunday 04:30/04:40.
  default = {
    "gmail-sync" = {
      schedules = {
        default = { cron = "0 */3 * * *", body = "{\"sync_type\":\"incremental\"}" }
      }
    }
    "salesforce-sync" = {
      schedules = {
        default = { cron = "5 * * * *", body = "{\"sync_type\":\"incremental\"}" }
        full    = { cron = "30 4 * * 0", body = "{\"sync_type\":\"full\"}" }
      }
    }
    "dialpad-sync" = {
      schedules = {
        default = { cron = "10 * * * *", body = "{\"sync_type\":\"incremental\"}" }
        full    = { cron = "40 4 * * 0", body = "{\"sync_type\":\"full\"}" }
      }
    }
    "entity-resolution" = {
      schedules = {
        default = { cron = "25 */3 * * *" }
      }
    }
    "generate-embeddings" = {
      schedules = {
        default = { cron = "45 */3 * * *" }
      }
    }
    "usage-collect" = {
      schedules = {
        # Anthropic and Cursor report UTC days: at 06:00 Los Angeles (13:00 or 14:00 UTC) yesterday is complete.
        default = { cron = "0 6 * * *", time_zone = "America/Los_Angeles" }
      }
    }
    "account-scoring" = {
      memory = "2Gi"
      schedules = {
        default = { cron = "0 7 * * *" }
      }
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
    condition     = alltrue([for job in values(var.jobs) : length(job.schedules) >= 1])
    error_message = "jobs[*].schedules must hold at least one schedule: every function is triggered by Cloud Scheduler."
  }

  validation {
    condition     = alltrue(flatten([for job in values(var.jobs) : [for s in values(job.schedules) : can(keys(jsondecode(s.body)))]]))
    error_message = "jobs[*].schedules[*].body must be a JSON object, for example {} or {\"sync_type\":\"incremental\"}."
  }

  validation {
    condition     = alltrue(flatten([for job in values(var.jobs) : [for s in values(job.schedules) : length(split(" ", trimspace(s.cron))) == 5]]))
    error_message = "jobs[*].schedules[*].cron must be a five-field cron expression."
  }

  validation {
    condition     = alltrue(flatten([for job in values(var.jobs) : [for key in keys(job.schedules) : can(regex("^[a-z][a-z0-9-]{0,30}$", key))]]))
    error_message = "jobs[*].schedules keys must be lowercase names (letters, digits, hyphens), e.g. default or full."
  }
}

variable "time_zone" {
  type        = string
  description = "Time zone (IANA name) of the Cloud Scheduler crons that set none of their own: the sales team's, so that each morning's syncs, resolution, embeddings and scoring finish before reps start."
  default     = "America/Los_Angeles"
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

variable "gmail_mailbox_source" {
  type        = string
  description = "Where gmail-sync's mailboxes come from (GMAIL_MAILBOX_SOURCE), read every run: list (gmail_mailboxes), salesforce (active users with a profile in gmail_mailbox_profiles or a role in gmail_mailbox_roles) or group (the active user members of gmail_mailbox_group)."
  default     = "list"

  validation {
    condition     = contains(["list", "salesforce", "group"], var.gmail_mailbox_source)
    error_message = "gmail_mailbox_source must be list, salesforce or group."
  }
}

variable "gmail_mailbox_profiles" {
  type        = list(string)
  description = "gmail_mailbox_source = salesforce: Salesforce profile names whose active users' mailboxes are synced (GMAIL_MAILBOX_PROFILES)."
  default     = []
}

variable "gmail_mailbox_roles" {
  type        = list(string)
  description = "gmail_mailbox_source = salesforce: Salesforce role names whose active users' mailboxes are synced (GMAIL_MAILBOX_ROLES)."
  default     = []
}

variable "gmail_mailbox_group" {
  type        = string
  description = "gmail_mailbox_source = group: the Google group whose members' mailboxes are synced (GMAIL_MAILBOX_GROUP); empty leaves it unset."
  default     = ""
}

variable "gmail_directory_admin" {
  type        = string
  description = "gmail_mailbox_source = group: the Workspace admin the Directory members.list call acts as (GMAIL_DIRECTORY_ADMIN); add the admin.directory.group.member.readonly scope to the delegation."
  default     = ""
}

variable "gmail_external_only" {
  type        = bool
  description = "gmail-sync stores only messages with a participant outside the company (GMAIL_EXTERNAL_ONLY): not on company_domains nor on a synced mailbox's domain."
  default     = true
}

variable "gmail_skip_labels" {
  type        = list(string)
  description = "Labels whose messages gmail-sync neither lists nor stores (GMAIL_SKIP_LABELS): CATEGORY_PERSONAL, CATEGORY_SOCIAL, CATEGORY_PROMOTIONS, CATEGORY_UPDATES, CATEGORY_FORUMS, CHAT, SPAM, TRASH. Empty: none."
  default     = ["CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CHAT", "SPAM", "TRASH"]
}

variable "gmail_exclude" {
  type        = list(string)
  description = "Addresses and domains (with their subdomains) whose mail gmail-sync does not store (GMAIL_EXCLUDE): a law firm, payroll. Stored mail is removed by a {\"purge\": true} request."
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

variable "salesforce_extra_fields" {
  type        = any # object => list of names or "*": a map(any) would demand one type for every entry
  description = "salesforce-sync's extra fields per object (SALESFORCE_EXTRA_FIELDS): object => list of field API names, or \"*\" for every custom field, e.g. { Account = [\"Budget__c\", \"Segment__c\"], Opportunity = \"*\" }. New fields become columns and are back-filled."
  default     = {}
}

variable "salesforce_custom_objects" {
  type        = list(string)
  description = "Salesforce custom objects salesforce-sync copies (SALESFORCE_CUSTOM_OBJECTS), each into its own table sf_<name> created on its first run, e.g. [\"Competitor__c\"]."
  default     = []

  validation {
    condition     = alltrue([for name in var.salesforce_custom_objects : can(regex("^[A-Za-z][A-Za-z0-9_]*__c$", name))])
    error_message = "salesforce_custom_objects are custom object API names ending in __c."
  }
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
  description = "Vertex AI location of generate-embeddings and of account-scoring's narrative (VERTEX_LOCATION); null means the same as region."
  default     = null
}

variable "company_domains" {
  type        = list(string)
  description = "Email domains of the company itself (COMPANY_DOMAINS of entity-resolution and gmail-sync): addresses on them are internal, never matched to customers, and mail with no other participant is not stored. Empty: only Salesforce users' addresses (and the synced mailboxes' domains, for gmail-sync) count as internal."
  default     = []
}

variable "scoring_narrative" {
  type        = bool
  description = "SCORING_NARRATIVE of account-scoring: add a Gemini narrative (Vertex AI) to the top accounts' reasons. Also grants account-scoring roles/aiplatform.user; off: no Vertex AI access."
  default     = false
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
