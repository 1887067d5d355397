"""The flawed-org scenario (fixtures/aws/snapshots/flawed-org.json, collected from the embedded
AWS seeded with iamscope/demo/scenarios/flawed-org.json): admins, paths, closures, blast
radius, who-can and exposures, asserted exactly."""

from __future__ import annotations

from iamscope.graph.blast import BlastAnalysis
from iamscope.model.edge import Confidence
from tests.graph.conftest import Org


def test_admins_and_who_reaches_admin(analysis: BlastAnalysis, org: Org) -> None:
    admins = {p for p, s in analysis.access.admins.items() if s.admin}
    assert admins == {
        org("prod", "role", "OrganizationAccountAccessRole"),
        org("security", "role", "OrganizationAccountAccessRole"),
        org("sandbox", "role", "OrganizationAccountAccessRole"),
        org("prod", "role", "ops-automation"),
        org("prod", "user", "automation/ci-bot"),  # rewrites its own policy (AWS-IAM-01)
        org("management", "role", "break-glass"),
        org("management", "user", "alice"),
        org("management", "group", "admins"),
    }
    esc = analysis.escalation
    reaching = {p for p in analysis.access.inventory.principals if esc.reaches_admin(p)}
    assert reaching == admins | {org("prod", "user", "dave")}
    # The guarded path: intern may attach policies to itself, but the sandbox SCP denies it.
    assert not esc.reaches_admin(org("sandbox", "user", "intern"))
    # sandbox-admin has AdministratorAccess, but the SCP denies IAM writes: not admin.
    assert not esc.reaches_admin(org("sandbox", "role", "sandbox-admin"))


def test_dave_passes_the_admin_role_to_lambda(analysis: BlastAnalysis, org: Org) -> None:
    [path] = analysis.escalation.admin_paths(org("prod", "user", "dave"))
    assert [(h.source, h.target, h.technique) for h in path.hops] == [
        (org("prod", "user", "dave"), org("prod", "role", "ops-automation"), "AWS-LMB-01")]
    # The RegionLock SCP is avoided by choosing the region, which the caller decides:
    # not a condition on the attack (see evaluate/compiled.py REQUESTER_CHOSEN).
    assert path.confidence is Confidence.DEFINITE
    assert path.hops[0].conditions == ()


def test_alice_paths_end_at_distinct_admins(analysis: BlastAnalysis, org: Org) -> None:
    # alice is admin herself: no path needed.
    assert analysis.escalation.admin_paths(org("management", "user", "alice")) == []
    closure = set(analysis.escalation.closure(org("management", "user", "alice")))
    assert closure == {
        org("management", "role", "break-glass"), org("prod", "role", "OrganizationAccountAccessRole"),
        org("prod", "role", "partner-access"), org("prod", "role", "security-audit"),
        org("security", "role", "OrganizationAccountAccessRole"), org("security", "role", "auditor"),
        org("sandbox", "role", "OrganizationAccountAccessRole"),
        org("sandbox", "role", "sandbox-admin"), org("sandbox", "role", "sandbox-developer"),
    }


def test_blast_radius_of_the_auditor(analysis: BlastAnalysis, org: Org) -> None:
    auditor = org("security", "role", "auditor")
    blast = analysis.blast(auditor)
    assert (blast.admin, blast.reaches_admin) == (False, False)
    assert [(b.principal, [h.target for h in b.path.hops]) for b in blast.becomes] == [
        (org("prod", "role", "security-audit"), [org("prod", "role", "security-audit")]),
        (org("prod", "role", "partner-access"),
         [org("prod", "role", "security-audit"), org("prod", "role", "partner-access")]),
    ]
    topic = org.resource("arn:aws:sns:")
    assert blast.highlights() == {
        "secrets": [], "kms": [], "iam-write": [],
        "data": [topic, "arn:aws:s3:::acme-prod-uploads/reports/*"],
        "other-accounts": [org.accounts["prod"]],
    }
    assert {(s.hit.action, s.via) for s in blast.sensitive} == {
        ("sns:Publish", org("prod", "role", "security-audit")),
        ("s3:GetObject", org("prod", "role", "partner-access")),
    }


def test_blast_radius_of_the_app_server(analysis: BlastAnalysis, org: Org) -> None:
    blast = analysis.blast(org("prod", "role", "app-server"))
    highlights = blast.highlights()
    secret = org.resource("arn:aws:secretsmanager:")
    key = org.resource("arn:aws:kms:")
    assert highlights["secrets"] == [
        secret, f"arn:aws:secretsmanager:us-east-1:{org.accounts['prod']}:secret:prod/db-password-*"]
    assert highlights["kms"] == [f"arn:aws:kms:*:{org.accounts['prod']}:key/*", key]
    direct = {s.hit.target: s.hit.conditions for s in blast.sensitive if s.hit.category == "kms"}
    # The key policy lets app-server decrypt only through Secrets Manager.
    assert direct[key] == ("kms:ViaService",)


def test_who_can_read_the_public_website(analysis: BlastAnalysis, org: Org) -> None:
    result = analysis.who_can("s3:GetObject", "arn:aws:s3:::acme-sandbox-website/index.html")
    assert {d.principal for d in result.direct} == {
        org("sandbox", "role", "OrganizationAccountAccessRole"),
        org("sandbox", "role", "sandbox-admin"), org("sandbox", "role", "sandbox-developer"),
        org("sandbox", "user", "bob"), org("sandbox", "user", "intern"),
        # other accounts of the organisation with s3 read permissions: the policy is public
        org("prod", "role", "OrganizationAccountAccessRole"), org("prod", "role", "cfn-deployer"),
        org("prod", "role", "ops-automation"), org("prod", "role", "vendor-monitoring"),
        org("prod", "user", "carol"), org("prod", "user", "dave"),
        org("security", "role", "OrganizationAccountAccessRole"),
        org("management", "role", "break-glass"), org("management", "user", "alice"),
    }
    assert {(e.audience.kind, e.actions) for e in result.outside} == {
        ("anonymous", ("s3:GetObject",)), ("any-account", ("s3:GetObject",))}
    assert {(i.principal, i.via, tuple(h.technique for h in i.path.hops))
            for i in result.indirect} == {
        (org("prod", "role", "codebuild-deploy"), org("prod", "role", "cfn-deployer"),
         ("AWS-CFN-01",)),
        # ci-bot can rewrite its own policy first
        (org("prod", "user", "automation/ci-bot"), org("prod", "user", "automation/ci-bot"),
         ("AWS-IAM-01",)),
        ("arn:aws:iam::999988887777:root", org("prod", "role", "vendor-monitoring"),
         ("AWS-STS-01",)),
    }


def test_exposures(analysis: BlastAnalysis, org: Org) -> None:
    found = {}
    for resource in analysis.access.inventory.resources.values():
        for exposure in analysis.exposure.of(resource):
            found.setdefault(resource.id, set()).add(
                (exposure.audience.kind, exposure.audience.account, exposure.actions,
                 exposure.conditions))
    security = org.accounts["security"]
    assert found == {
        "arn:aws:s3:::acme-sandbox-website": {
            ("anonymous", None, ("s3:GetObject",), ()),
            ("any-account", "000000000000", ("s3:GetObject",), ())},
        "arn:aws:s3:::acme-prod-uploads": {
            ("account", security, ("s3:GetObject", "s3:ListBucket"), ())},
        org.resource("arn:aws:kms:"): {
            ("account", security, ("kms:DescribeKey", "kms:GetKeyPolicy"), ())},
    }
