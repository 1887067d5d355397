"""Every registered policy rule, on a vulnerable and a safe case: exact subjects, rule ids,
severities, and a message that names the statement."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.ci.policy_rules import PolicyContext, all_rules
from iamscope.model.finding import Severity
from iamscope.model.inventory import Inventory
from tests.ci.builders import gcp_custom_role, gcp_project, inline_id, one_role
from tests.graph.builders import allow, deny

Case = tuple[Callable[[], Inventory], Callable[[], Inventory], Severity]

# rule id -> (vulnerable inventory, safe inventory, severity of the vulnerable finding)
CASES: dict[str, Case] = {
    # IAM best practices, "Apply least-privilege permissions"
    "IAMSCOPE-AWS-001": (lambda: one_role(allow("iam:*")),
                         lambda: one_role(allow("iam:GetRole", "arn:aws:iam::*:role/app")),
                         Severity.HIGH),
    # Service Authorization Reference access levels: Permissions management on "*"
    "IAMSCOPE-AWS-002": (lambda: one_role(allow(["s3:PutBucketPolicy", "s3:GetObject"])),
                         lambda: one_role(allow("s3:PutBucketPolicy", "arn:aws:s3:::mine"),
                                          allow("s3:ListAllMyBuckets")),
                         Severity.HIGH),
    # IAM User Guide, "IAM JSON policy elements: NotAction"
    "IAMSCOPE-AWS-003": (lambda: one_role({"Effect": "Allow", "NotAction": "iam:*",
                                           "Resource": "*"}),
                         lambda: one_role({"Effect": "Deny", "NotAction": "s3:GetObject",
                                           "Resource": "*"}, allow("s3:GetObject",
                                                                   "arn:aws:s3:::b/*")),
                         Severity.HIGH),
    # IAM User Guide, "Grant a user permissions to pass a role to an AWS service"
    "IAMSCOPE-AWS-004": (lambda: one_role(allow(["iam:PassRole", "lambda:CreateFunction"],
                                                "*")),
                         lambda: one_role(allow("iam:PassRole",
                                                "arn:aws:iam::111122223333:role/fn-exec",
                                                Condition={"StringEquals": {
                                                    "iam:PassedToService":
                                                        "lambda.amazonaws.com"}})),
                         Severity.HIGH),
    # GCP IAM, "Principal identifiers": allUsers
    "IAMSCOPE-GCP-001": (lambda: gcp_project("roles/storage.objectViewer", "allUsers"),
                         lambda: gcp_project("roles/storage.objectViewer",
                                             "group:readers@example.com"),
                         Severity.CRITICAL),
    # GCP IAM, "Basic roles"
    "IAMSCOPE-GCP-002": (lambda: gcp_project("roles/editor", "user:dev@example.com"),
                         lambda: gcp_project("roles/storage.objectViewer",
                                             "user:dev@example.com"),
                         Severity.HIGH),
    # GCP IAM, "Service account impersonation": actAs / getAccessToken / keys on the project
    "IAMSCOPE-GCP-003": (lambda: gcp_custom_role(("iam.serviceAccounts.actAs",
                                                  "run.services.update"), "user:ci@example.com"),
                         lambda: gcp_custom_role(("run.services.update", "run.services.get"),
                                                 "user:ci@example.com"),
                         Severity.HIGH),
}


@pytest.fixture(scope="module")
def catalog() -> ActionCatalog:
    return ActionCatalog()


def _run(rule_id: str, inventory: Inventory, catalog: ActionCatalog):
    [rule] = [r for r in all_rules() if r.meta.id == rule_id]
    return list(rule.run(PolicyContext(inventory, catalog)))


def test_every_registered_rule_has_cases_and_metadata() -> None:
    ids = [r.meta.id for r in all_rules()]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(CASES)
    for rule in all_rules():
        meta = rule.meta
        assert meta.title and meta.description and meta.remediation and meta.limitations
        assert meta.references and all(r.startswith("https://") for r in meta.references)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_vulnerable_and_safe(rule_id: str, catalog: ActionCatalog) -> None:
    vulnerable, safe, severity = CASES[rule_id]
    found = _run(rule_id, vulnerable(), catalog)
    assert [f.rule_id for f in found] == [rule_id]
    assert found[0].severity is severity
    assert found[0].fingerprint and found[0].location is not None
    assert _run(rule_id, safe(), catalog) == []


def test_wildcard_messages_name_the_statement_and_subject(catalog: ActionCatalog) -> None:
    [found] = _run("IAMSCOPE-AWS-001", one_role(allow("*"), allow("s3:GetObject")), catalog)
    assert found.subject == inline_id()
    assert found.message.startswith("statement 0 of policy main allows * (every action")
    [found] = _run("IAMSCOPE-AWS-001", one_role({"Sid": "Blobs", **allow("s3:*")}), catalog)
    assert found.severity is Severity.MEDIUM and "Sid 'Blobs'" in found.message


def test_write_on_star_counts_levels_and_skips_wildcard_only_actions(
        catalog: ActionCatalog) -> None:
    # ec2:DescribeInstances is List; lambda:CreateFunction is Write; iam:* goes to AWS-001.
    [found] = _run("IAMSCOPE-AWS-002", one_role(allow(["ec2:DescribeInstances",
                                                       "lambda:CreateFunction", "iam:*"])),
                   catalog)
    assert found.severity is Severity.MEDIUM
    assert "1 write action (lambda:CreateFunction)" in found.message
    conditional = one_role(allow("s3:PutBucketPolicy", Condition={
        "StringEquals": {"aws:ResourceTag/team": "x"}}))
    [found] = _run("IAMSCOPE-AWS-002", conditional, catalog)
    assert found.severity is Severity.MEDIUM and "under a condition" in found.message
    assert _run("IAMSCOPE-AWS-002", one_role(allow("*")), catalog) == []


def test_passrole_variants(catalog: ActionCatalog) -> None:
    every_role = one_role(allow("iam:Pass*", "arn:aws:iam::111122223333:role/*",
                                Condition={"StringEquals": {"iam:PassedToService": "ec2"}}))
    [found] = _run("IAMSCOPE-AWS-004", every_role, catalog)
    assert found.severity is Severity.MEDIUM
    assert _run("IAMSCOPE-AWS-004", one_role(allow("iam:*")), catalog) == []  # AWS-001's


def test_not_action_on_named_resources_is_medium_and_deny_is_fine(
        catalog: ActionCatalog) -> None:
    named = one_role({"Effect": "Allow", "NotAction": "s3:DeleteBucket",
                      "Resource": "arn:aws:s3:::b"}, deny("iam:*"))
    [found] = _run("IAMSCOPE-AWS-003", named, catalog)
    assert found.severity is Severity.MEDIUM


def test_gcp_conditions_lower_the_severity(catalog: ActionCatalog) -> None:
    conditional = gcp_project("roles/owner", "user:a@example.com",
                              condition="request.time < timestamp('2027-01-01T00:00:00Z')")
    [found] = _run("IAMSCOPE-GCP-002", conditional, catalog)
    assert found.severity is Severity.MEDIUM and "roles/owner" in found.message


def test_fingerprints_are_stable_across_runs_and_messages(catalog: ActionCatalog) -> None:
    first = _run("IAMSCOPE-AWS-001", one_role(allow("kms:*")), catalog)
    again = _run("IAMSCOPE-AWS-001", one_role(allow("kms:*", "arn:aws:kms:*:*:key/*")),
                 catalog)
    assert first[0].fingerprint == again[0].fingerprint
    assert first[0].message != again[0].message


def test_impersonation_roles_and_permissions_on_one_service_account_are_not_flagged(
        catalog: ActionCatalog) -> None:
    """Binding roles/iam.serviceAccountTokenCreator (or a custom role with actAs) on a single
    service account is Google's recommended practice ("Service account impersonation");
    only bindings on the project/folder/organization reach every service account below."""
    sa = "//iam.googleapis.com/projects/shop-prod/serviceAccounts/ci@shop-prod.iam.gserviceaccount.com"
    assert _run("IAMSCOPE-GCP-003", gcp_custom_role(("iam.serviceAccounts.actAs",),
                                                    "user:ci@example.com", target=sa),
                catalog) == []
    on_project = gcp_project("roles/iam.serviceAccountTokenCreator", "user:ci@example.com")
    assert len(_run("IAMSCOPE-GCP-002", on_project, catalog)) == 1
    policy = next(iter(on_project.policies.values()))
    moved = type(on_project).build(on_project.metadata, policies=[
        type(policy)(id=f"{sa}/iam", kind=policy.kind, statements=policy.statements,
                     name="sa", source=policy.source)])
    assert _run("IAMSCOPE-GCP-002", moved, catalog) == []
