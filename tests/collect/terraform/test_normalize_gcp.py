"""Google IAM resources from Terraform into the inventory (normalize_gcp.py): member / binding /
policy semantics as the google provider documents them
(https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/google_project_iam),
service accounts, custom roles, conditions, resource-level IAM, unknowns."""

from __future__ import annotations

import json
from pathlib import Path

from iamscope.collect.terraform.load import load_terraform
from iamscope.model.policy import PolicyKind
from iamscope.model.principal import PrincipalKind, Provider

PROJECT = "//cloudresourcemanager.googleapis.com/projects/shop-prod"


def _load(tmp_path: Path, text: str):
    (tmp_path / "main.tf").write_text(text)
    return load_terraform(tmp_path)


def test_project_member_is_an_allow_fragment_with_the_role_and_member(tmp_path):
    load = _load(tmp_path, '''
resource "google_project_iam_member" "dev" {
  project = "shop-prod"
  role    = "roles/editor"
  member  = "group:devs@example.com"
}''')
    policy = load.planned.policies[f"{PROJECT}/iam/google_project_iam_member.dev"]
    assert policy.kind is PolicyKind.GCP_ALLOW
    statement = policy.statements[0]
    assert statement.actions == ("roles/editor",)
    assert statement.principal.gcp == ("group:devs@example.com",)
    assert policy.source.line == 2 and policy.source.file.endswith("main.tf")
    project = load.planned.resources[PROJECT]
    assert project.type == "gcp:project" and project.provider is Provider.GCP
    assert project.policy_id == policy.id
    assert load.planned.metadata.accounts == ("shop-prod",)
    # A GCP-only configuration has no AWS account and no placeholder root principal.
    assert not any(p.provider is Provider.AWS for p in load.planned.principals.values())
    assert any("not expanded" in note for note in load.planned.metadata.notes)


def test_binding_is_authoritative_for_its_role_and_says_so(tmp_path):
    load = _load(tmp_path, '''
resource "google_project_iam_binding" "admins" {
  project = "shop-prod"
  role    = "roles/owner"
  members = ["user:a@example.com", "user:b@example.com"]
}''')
    policy = load.planned.policies[f"{PROJECT}/iam/google_project_iam_binding.admins"]
    assert policy.statements[0].principal.gcp == ("user:a@example.com", "user:b@example.com")
    assert any("authoritative for roles/owner" in n for n in load.planned.metadata.notes)


def test_condition_is_kept_verbatim(tmp_path):
    load = _load(tmp_path, '''
resource "google_project_iam_member" "temp" {
  project = "shop-prod"
  role    = "roles/editor"
  member  = "user:a@example.com"
  condition {
    title      = "until new year"
    expression = "request.time < timestamp(\\"2027-01-01T00:00:00Z\\")"
  }
}''')
    statement = next(iter(load.planned.policies.values())).statements[0]
    assert statement.gcp_condition == 'request.time < timestamp("2027-01-01T00:00:00Z")'


def test_policy_from_google_iam_policy_data_source_and_conflict_warning(tmp_path):
    load = _load(tmp_path, '''
data "google_iam_policy" "project" {
  binding {
    role    = "roles/viewer"
    members = ["user:v@example.com"]
  }
  binding {
    role    = "roles/storage.admin"
    members = ["serviceAccount:x@shop-prod.iam.gserviceaccount.com"]
  }
}
resource "google_project_iam_policy" "all" {
  project     = "shop-prod"
  policy_data = data.google_iam_policy.project.policy_data
}
resource "google_project_iam_member" "extra" {
  project = "shop-prod"
  role    = "roles/viewer"
  member  = "user:w@example.com"
}''')
    policy = load.planned.policies[f"{PROJECT}/iam/google_project_iam_policy.all"]
    assert [s.actions for s in policy.statements] == [("roles/viewer",), ("roles/storage.admin",)]
    assert any("replaces the whole IAM policy" in n for n in load.planned.metadata.notes)
    assert any("conflicts with google_project_iam_member.extra" in w for w in load.warnings)
    # Two fragments on one project: the resource lists both.
    attributes = dict(load.planned.resources[PROJECT].attributes)
    assert len(attributes["iam_policies"].split(",")) == 2


def test_service_account_identity_is_computed_and_sa_level_iam_targets_it(tmp_path):
    load = _load(tmp_path, '''
resource "google_service_account" "ci" {
  project    = "shop-prod"
  account_id = "ci-deployer"
}
resource "google_service_account_iam_member" "impersonate" {
  service_account_id = google_service_account.ci.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${google_service_account.ci.email}"
}''')
    member = "serviceAccount:ci-deployer@shop-prod.iam.gserviceaccount.com"
    principal = load.planned.principals[member]
    assert principal.kind is PrincipalKind.GCP_SERVICE_ACCOUNT
    assert principal.account == "shop-prod"
    target = ("//iam.googleapis.com/projects/shop-prod/serviceAccounts/"
              "ci-deployer@shop-prod.iam.gserviceaccount.com")
    policy = load.planned.policies[f"{target}/iam/google_service_account_iam_member.impersonate"]
    assert policy.statements[0].principal.gcp == (member,)
    assert load.planned.resources[target].parent == PROJECT
    assert not load.warnings


def test_custom_role_in_the_configuration_is_expanded_to_its_permissions(tmp_path):
    load = _load(tmp_path, '''
resource "google_project_iam_custom_role" "deployer" {
  project     = "shop-prod"
  role_id     = "deployer"
  title       = "Deployer"
  permissions = ["run.services.update", "iam.serviceAccounts.actAs"]
}
resource "google_project_iam_member" "ci" {
  project = "shop-prod"
  role    = google_project_iam_custom_role.deployer.id
  member  = "user:ci@example.com"
}''')
    statement = load.planned.policies[f"{PROJECT}/iam/google_project_iam_member.ci"].statements[0]
    assert statement.actions == ("iam.serviceAccounts.actAs", "run.services.update")
    assert statement.sid == "projects/shop-prod/roles/deployer"


def test_folder_organization_and_bucket_targets(tmp_path):
    load = _load(tmp_path, '''
resource "google_folder_iam_member" "f" {
  folder = "folders/123"
  role   = "roles/viewer"
  member = "user:a@example.com"
}
resource "google_organization_iam_member" "o" {
  org_id = "456"
  role   = "roles/viewer"
  member = "user:a@example.com"
}
resource "google_storage_bucket_iam_binding" "b" {
  bucket  = "assets"
  role    = "roles/storage.objectViewer"
  members = ["allUsers"]
}''')
    resources = load.planned.resources
    assert resources["//cloudresourcemanager.googleapis.com/folders/123"].type == "gcp:folder"
    assert resources["//cloudresourcemanager.googleapis.com/organizations/456"].type == \
        "gcp:organization"
    assert resources["//storage.googleapis.com/projects/_/buckets/assets"].type == \
        "gcp:storage:bucket"


def test_unknown_member_in_a_plan_is_kept_visible_with_a_warning(tmp_path):
    plan = {
        "format_version": "1.2", "terraform_version": "1.6.0",
        "planned_values": {"root_module": {"resources": [{
            "address": "google_project_iam_member.sa", "mode": "managed",
            "type": "google_project_iam_member", "name": "sa",
            "values": {"project": "shop-prod", "role": "roles/owner"}}]}},
        "resource_changes": [{
            "address": "google_project_iam_member.sa", "mode": "managed",
            "type": "google_project_iam_member", "name": "sa",
            "change": {"actions": ["create"], "before": None,
                       "after": {"project": "shop-prod", "role": "roles/owner"},
                       "after_unknown": {"member": True, "id": True}}}],
        "configuration": {"root_module": {"resources": [{
            "address": "google_project_iam_member.sa", "mode": "managed",
            "type": "google_project_iam_member", "name": "sa",
            "expressions": {"member": {"references": [
                "google_service_account.x.member", "google_service_account.x"]}}}]}},
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    load = load_terraform(path)
    statement = next(iter(load.planned.policies.values())).statements[0]
    assert statement.actions == ("roles/owner",)
    assert statement.principal.gcp[0].startswith("unknown:")
    assert any("member not known" in w for w in load.warnings)


def test_mixed_aws_and_gcp_configuration_keeps_both(tmp_path):
    load = _load(tmp_path, '''
resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{
    Effect = "Allow", Action = "sts:AssumeRole",
    Principal = {Service = "lambda.amazonaws.com"}}]})
}
resource "google_project_iam_member" "dev" {
  project = "shop-prod"
  role    = "roles/viewer"
  member  = "user:a@example.com"
}''')
    inventory = load.planned
    assert "arn:aws:iam::000000000000:role/app" in inventory.principals
    assert f"{PROJECT}/iam/google_project_iam_member.dev" in inventory.policies
    assert "shop-prod" in inventory.metadata.accounts
