"""Edges of the access graph: who can become, control or reach what, and why."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class EdgeKind(Enum):
    ASSUME = "assume"  # sts:AssumeRole* through a trust policy
    CREDENTIALS = "credentials"  # create or reset credentials of another principal
    PASS_ROLE = "pass-role"  # noqa: S105 - run new compute as a passed role
    RUN_AS = "run-as"  # take over existing compute that runs as a role
    MODIFY_TRUST = "modify-trust"  # rewrite a role's trust policy, then assume it
    MODIFY_POLICY = "modify-policy"  # change the permissions of the target
    JOIN_GROUP = "join-group"  # add oneself to a group
    MEMBER_OF = "member-of"  # structural: a user belongs to a group
    ACCESS = "access"  # principal -> resource (reach)
    IMPERSONATE = "impersonate"  # GCP service-account impersonation


class Confidence(Enum):
    DEFINITE = "definite"  # every fact the technique needs is known to hold
    CONDITIONAL = "conditional"  # depends on a fact the data cannot prove (named in the edge)


@dataclass(frozen=True, slots=True)
class Evidence:
    """A statement that granted a permission the edge relies on."""

    policy_id: str
    statement_index: int
    sid: str | None
    action: str


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    kind: EdgeKind
    technique: str  # id in the technique catalog (AWS-STS-01, AWS-LMB-01, ...)
    confidence: Confidence = Confidence.DEFINITE
    conditions: tuple[str, ...] = ()  # the unproven facts, e.g. "condition aws:SourceIp"
    evidence: tuple[Evidence, ...] = ()
