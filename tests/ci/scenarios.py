"""A plan scenario for the gate, delta and report tests: a deploy role that the plan gives
iam:PassRole + lambda:CreateFunction, next to an admin role Lambda can assume, with the
elements placed in Terraform files (as the collector would) and hostile names available."""

from __future__ import annotations

from dataclasses import dataclass, replace

from iamscope.ci.gate import CheckInput
from iamscope.model.inventory import Inventory
from iamscope.model.source import SourceRef
from tests.graph.builders import (
    ADMIN,
    ADMIN_POLICY,
    account,
    allow,
    arn,
    collection,
    doc,
    inventory,
    role,
    trust,
    user,
)

ACCT = "111122223333"
DEPLOY = arn("role", "deploy")
CI = arn("user", "ci")
ADMIN_FN = arn("role", "admin-fn")
DEPLOY_POLICY = f"{DEPLOY}/inline/deploy"
REPORTS = arn("role", "reports")
REPORTS_POLICY = f"{REPORTS}/inline/read"
LAMBDA = trust({"Service": "lambda.amazonaws.com"})

ADDRESSES = {
    DEPLOY: "aws_iam_role.deploy", DEPLOY_POLICY: "aws_iam_role_policy.deploy",
    ADMIN_FN: "aws_iam_role.admin_fn", CI: "aws_iam_user.ci",
    REPORTS: "aws_iam_role.reports", REPORTS_POLICY: "aws_iam_role_policy.reports",
}
LINES = {DEPLOY: 3, DEPLOY_POLICY: 42, ADMIN_FN: 20, CI: 60, REPORTS: 70, REPORTS_POLICY: 80}


def _state(deploy_statements: list[dict], reports_actions: list[str],
           deploy_name: str = "deploy") -> Inventory:
    roles = [
        role(deploy_name, trust({"AWS": CI}), inline={"deploy": doc(*deploy_statements)}),
        role("admin-fn", LAMBDA, managed=(ADMIN_POLICY,)),
        role("reports", LAMBDA, inline={"read": doc(allow(reports_actions,
                                                          "arn:aws:s3:::reports/*"))}),
    ]
    users = [user("ci", inline={"assume": doc(allow("sts:AssumeRole", DEPLOY))})]
    return place(inventory(collection(account(roles=roles, users=users, policies=[ADMIN]))))


def place(found: Inventory) -> Inventory:
    """Give elements file/line/address sources, as the Terraform collector does."""
    def ref(element: str) -> SourceRef | None:
        if element not in ADDRESSES:
            return None
        return SourceRef(file="iam.tf", line=LINES[element], address=ADDRESSES[element])

    principals = {k: replace(p, source=ref(k) or p.source) for k, p in found.principals.items()}
    policies = {k: replace(p, source=ref(k) or p.source) for k, p in found.policies.items()}
    return replace(found, principals=principals, policies=policies)


def before() -> Inventory:
    return _state([allow("s3:GetObject", "arn:aws:s3:::artifacts/*")], ["s3:GetObject"])


def after() -> Inventory:
    return _state([allow("s3:GetObject", "arn:aws:s3:::artifacts/*"),
                   {"Sid": "Deploy", **allow(["iam:PassRole", "lambda:CreateFunction"])}],
                  ["s3:GetObject", "s3:PutObject"])


@dataclass(frozen=True)
class Ignore:
    rule_id: str
    reason: str
    source: SourceRef | None = None


def plan(**suppressions: list[Ignore]) -> CheckInput:
    inline = {element: tuple(items) for element, items in suppressions.items()}
    return CheckInput(after(), before(), source="plan", suppressions=inline,
                      addresses=ADDRESSES)
