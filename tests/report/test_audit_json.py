"""The audit JSON contract: real output validates against docs/schemas/audit.schema.json, and
names exactly the flawed-org scenario's principals, paths and findings."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from iamscope.collect.load import load_inventory
from iamscope.model.audit import AuditResult
from iamscope.pipeline import run_audit
from iamscope.report import audit_json, audit_text
from tests.conftest import REPO
from tests.graph.conftest import FLAWED, Org

SCHEMA = json.loads((REPO / "docs" / "schemas" / "audit.schema.json").read_text())


@pytest.fixture(scope="module")
def result() -> AuditResult:
    return run_audit(load_inventory(FLAWED).inventory)


@pytest.fixture(scope="module")
def org() -> Org:
    return Org(load_inventory(FLAWED).inventory)


@pytest.fixture(scope="module")
def document(result: AuditResult) -> dict:
    return json.loads(audit_json.render(result))


def test_schema_is_valid_and_output_validates(document: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


def test_principals(document: dict, org: Org) -> None:
    by_id = {p["id"]: p for p in document["principals"]}
    dave = by_id[org("prod", "user", "dave")]
    assert (dave["name"], dave["type"], dave["admin"], dave["reaches_admin"]) == (
        "dave", "user", False, True)
    assert dave["paths"] == [[{
        "from": org("prod", "user", "dave"), "to": org("prod", "role", "ops-automation"),
        "technique": "AWS-LMB-01", "kind": "pass-role", "confidence": "definite",
        "conditions": []}]]
    assert {p["id"] for p in document["principals"] if p["reaches_admin"]} == {
        org("prod", "role", "OrganizationAccountAccessRole"),
        org("security", "role", "OrganizationAccountAccessRole"),
        org("sandbox", "role", "OrganizationAccountAccessRole"),
        org("prod", "role", "ops-automation"), org("prod", "user", "automation/ci-bot"),
        org("management", "role", "break-glass"), org("management", "user", "alice"),
        org("prod", "user", "dave")}
    outside = [p for p in document["principals"] if p["type"] == "external"]
    assert [p["id"] for p in outside] == ["*", "arn:aws:iam::999988887777:root"]
    assert document["principals"][-2:] == outside  # outside principals come last


def test_findings_by_rule(document: dict, org: Org) -> None:
    found: dict[str, set[tuple[str, str]]] = {}
    for f in document["findings"]:
        found.setdefault(f["rule_id"], set()).add((f["subject"], f["severity"]))
    assert found["aws_public_resource_policy"] == {("arn:aws:s3:::acme-sandbox-website",
                                                    "critical")}
    assert found["aws_escalation_to_admin"] == {(org("prod", "user", "dave"), "critical")}
    assert found["aws_external_trust"] == {(org("prod", "role", "vendor-monitoring"), "medium")}
    assert found["aws_wildcard_trust"] == {(org("prod", "role", "partner-access"), "medium")}
    assert found["aws_cross_account_resource_policy"] == {
        ("arn:aws:s3:::acme-prod-uploads", "low"), (org.resource("arn:aws:kms:"), "low")}
    assert found["aws_admin_principal"] == {
        (org("prod", "role", "OrganizationAccountAccessRole"), "high"),
        (org("security", "role", "OrganizationAccountAccessRole"), "high"),
        (org("sandbox", "role", "OrganizationAccountAccessRole"), "high"),
        (org("management", "role", "break-glass"), "high"),
        (org("management", "user", "alice"), "high"),
        (org("prod", "role", "ops-automation"), "high"),
        (org("prod", "user", "automation/ci-bot"), "high")}
    wildcard = next(f for f in document["findings"] if f["rule_id"] == "aws_wildcard_trust")
    assert "guarded only by aws:PrincipalIsAWSService, aws:PrincipalOrgID" in wildcard["message"]
    assert wildcard["evidence"] == [
        f"{org('prod', 'role', 'partner-access')}/trust (statement 0)"]


def test_findings_are_ranked_and_fingerprints_stable(document: dict) -> None:
    ranks = ["critical", "high", "medium", "low", "info"]
    keys = [(ranks.index(f["severity"]), f["subject"]) for f in document["findings"]]
    assert keys == sorted(keys)
    again = json.loads(audit_json.render(run_audit(load_inventory(FLAWED).inventory)))
    assert [f["fingerprint"] for f in again["findings"]] == [
        f["fingerprint"] for f in document["findings"]]
    assert len({f["fingerprint"] for f in document["findings"]}) == len(document["findings"])


def test_text_report_lists_every_finding(result: AuditResult) -> None:
    text = audit_text.render(result).plain
    assert text.startswith("iamscope audit of 4 account(s) (aws, collected ")
    assert text.count("\nCRITICAL ") == 2
    # Both critical findings come first (ranked by subject within a severity).
    assert text.index("aws_escalation_to_admin") < text.index("aws_admin_principal")
    assert text.index("aws_public_resource_policy") < text.index("aws_admin_principal")
    assert "user/dave -[AWS-LMB-01]-> " in text


def test_authorization_details_dump_audits_too(tmp_path: Path) -> None:
    dump = REPO / "fixtures" / "aws" / "authorization-details" / "small-account.json"
    document = json.loads(audit_json.render(run_audit(load_inventory(dump).inventory)))
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    assert document["metadata"]["collector"] == "aws-authorization-details"
    assert [g["scope"] for g in document["gaps"]] == [
        "policy arn:aws:iam::aws:policy/ReadOnlyAccess"]
