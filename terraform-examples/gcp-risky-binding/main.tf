# A GCP project for a storefront: the developer group gets the basic Editor role on the
# whole project, the CI service account may impersonate every service account of the
# project, and the public assets bucket is readable by anyone (on purpose: suppressed
# with a reason).

variable "project_id" {
  type    = string
  default = "acme-shop-prod"
}

resource "google_service_account" "ci" {
  project      = var.project_id
  account_id   = "ci-deployer"
  display_name = "CI deployer"
}

resource "google_project_iam_member" "developers_editor" {
  project = var.project_id
  role    = "roles/editor"
  member  = "group:shop-developers@acme.example"
}

resource "google_project_iam_member" "ci_impersonation" {
  project = var.project_id
  role    = "roles/iam.serviceAccountTokenCreator"
  member  = "serviceAccount:${google_service_account.ci.email}"
}

resource "google_project_iam_member" "log_viewer" {
  project = var.project_id
  role    = "roles/logging.viewer"
  member  = "group:shop-oncall@acme.example"
}

resource "google_storage_bucket" "assets" {
  project  = var.project_id
  name     = "acme-shop-public-assets"
  location = "EU"
}

# iamscope:ignore IAMSCOPE-GCP-001 static website assets are public by design
resource "google_storage_bucket_iam_member" "assets_public" {
  bucket = google_storage_bucket.assets.name
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}
