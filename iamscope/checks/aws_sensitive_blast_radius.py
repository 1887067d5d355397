"""Principals whose blast radius includes sensitive resources."""

from __future__ import annotations

from collections.abc import Iterator

from iamscope.checks.base import CheckContext, CheckMeta, finding
from iamscope.graph.sensitive import DATA, IAM_WRITE, KMS, SECRETS
from iamscope.model.finding import Finding, Severity

META = CheckMeta(
    id="aws_sensitive_blast_radius",
    title="Blast radius includes sensitive resources",
    severity=Severity.HIGH,
    description=(
        "A compromise of the principal exposes secrets (Secrets Manager, SSM parameters), "
        "KMS decryption, data stores (S3 objects, DynamoDB tables, SQS queues, SNS "
        "topics) or IAM writes, by its own permissions or through the principals it can "
        "become. HIGH when secrets, KMS keys or IAM writes come through other principals "
        "(principals outside the inventory included), MEDIUM when the principal holds them "
        "itself or reaches data stores through others, LOW when it only reaches data "
        "stores itself. Principals that are or can become admin are reported by the admin "
        "checks instead."),
    remediation=(
        "Scope the principal's policies (and those of the roles it can become) to the "
        "resources it needs; break the assumption or escalation steps that lead to "
        "sensitive access."),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    ),
    limitations=(
        "One representative action per capability is asked (secretsmanager:GetSecretValue, "
        "ssm:GetParameter, kms:Decrypt, s3:GetObject/PutObject, dynamodb:GetItem/PutItem, "
        "sqs:ReceiveMessage/SendMessage, sns:Publish/Subscribe and IAM writes); unlisted "
        "resources are summarised as ARN patterns of the principal's account, and unlisted "
        "KMS keys are assumed to have the default key policy."),
)

CRITICAL_KINDS = (SECRETS, KMS, IAM_WRITE)
WORDS = {SECRETS: "secrets", KMS: "KMS keys", IAM_WRITE: "IAM writes", DATA: "data stores"}
SHOWN = 12


def _counts(keys: list[tuple[str, str, str]]) -> str:
    out = []
    for kind in (SECRETS, KMS, IAM_WRITE, DATA):
        targets = {k[2] for k in keys if k[0] == kind}
        if targets:
            out.append(f"{WORDS[kind]} ({len(targets)} target{'s' if len(targets) != 1 else ''})")
    return ", ".join(out)


def run(ctx: CheckContext) -> Iterator[Finding]:
    analysis = ctx.analysis
    escalation = ctx.escalation
    admins = ctx.access.admins
    for node in ctx.acting():
        status = admins.get(node)
        if (status is not None and status.admin) or escalation.reaches_admin(node):
            continue
        mine, gained = analysis.sensitive_summary(node)
        if not mine and not gained:
            continue
        kinds_mine = {k[0] for k in mine}
        kinds_gained = {k[0] for k in gained}
        if kinds_gained & set(CRITICAL_KINDS):
            severity = Severity.HIGH
        elif kinds_mine & set(CRITICAL_KINDS) or DATA in kinds_gained:
            severity = Severity.MEDIUM
        else:
            severity = Severity.LOW
        parts = []
        if mine:
            parts.append(f"{_counts(mine)} directly")
        if gained:
            becomes = len(escalation.closure(node))
            parts.append(f"{_counts(gained)} through the {becomes} principal"
                         f"{'s' if becomes != 1 else ''} it can become")
        message = f"A compromise of {ctx.label(node)} exposes {' and '.join(parts)}"
        evidence = [f"{k[0]}: {k[1]} on {k[2]}" for k in sorted(mine)[:SHOWN]]
        for key in sorted(gained)[:SHOWN]:
            evidence.append(f"{key[0]}: {key[1]} on {key[2]} via {analysis.holder(node, key)}")
        hidden = len(mine) + len(gained) - len(evidence)
        if hidden > 0:
            evidence.append(f"... and {hidden} more")
        yield finding(META, severity, node, message + ".", evidence,
                      location=ctx.location(node))
