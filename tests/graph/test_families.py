"""Behaviour of the technique families beyond one vulnerable and one safe case: target
facts, edges left out because a step into an admin dominates them, modify-policy targets,
federated providers, resource policies."""

from __future__ import annotations

import pytest

from iamscope.evaluate import Engine
from iamscope.graph.build import AccessGraph, build_graph
from iamscope.graph.escalation import Escalation
from tests.graph.cases import edge_key, escalation_edges, expand, inventory
from tests.graph.test_traps import allow

ATTACKER = expand("user/attacker")
ADMIN = {"policies": ["aws:AdministratorAccess"]}


def build(case: dict, engine: Engine) -> AccessGraph:
    return build_graph(inventory(case), engine)


def found(access: AccessGraph, technique: str | None = None) -> set[tuple[str, ...]]:
    return {edge_key(e) for e in escalation_edges(access.edges)
            if technique is None or e.technique == technique}


def attacker(*statements: dict, **extra: object) -> dict:
    return {"attacker": {"policies": [list(statements)], **extra}}


# --- credentials -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("keys", "delete", "confidence"), [
    (0, False, "definite"), (1, False, "definite"), (2, False, None), (2, True, "definite"),
    (None, False, "conditional"), (None, True, "definite"),
])
def test_access_keys_count(keys: int | None, delete: bool, confidence: str | None,
                           engine: Engine) -> None:
    actions = ["iam:CreateAccessKey", *(["iam:DeleteAccessKey"] if delete else [])]
    admin = {**ADMIN, "access_keys": keys} if keys is not None else ADMIN
    access = build({"users": {**attacker(allow(actions)), "admin": admin}}, engine)
    expected = {(ATTACKER, expand("user/admin"), "AWS-IAM-03", confidence)} if confidence \
        else set()
    assert found(access, "AWS-IAM-03") == expected


def test_unknown_login_profile_and_mfa_are_conditions(engine: Engine) -> None:
    access = build({"users": {**attacker(allow("iam:UpdateLoginProfile")),
                              "admin": {**ADMIN, "access_keys": 0, "mfa": 1}}}, engine)
    [edge] = [e for e in access.edges if e.technique == "AWS-IAM-05"]
    assert edge.conditions == (
        "the target has a console password (login profile not collected)",
        "the target has an MFA device: console sign-in also needs its code")


# --- dominated edges ------------------------------------------------------------------------------


def test_a_step_into_an_admin_leaves_out_the_other_targets(engine: Engine) -> None:
    users = {f"dev{i}": {"access_keys": 0} for i in range(3)}
    access = build({"users": {**attacker(allow("iam:CreateAccessKey")), **users,
                              "admin": {**ADMIN, "access_keys": 0}}}, engine)
    assert found(access) == {(ATTACKER, expand("user/admin"), "AWS-IAM-03", "definite")}


def test_without_an_admin_target_every_target_stays(engine: Engine) -> None:
    users = {f"dev{i}": {"access_keys": 0} for i in range(3)}
    access = build({"users": {**attacker(allow("iam:CreateAccessKey")), **users}}, engine)
    assert found(access) == {(ATTACKER, expand(f"user/dev{i}"), "AWS-IAM-03", "definite")
                             for i in range(3)}


def test_a_conditional_step_into_an_admin_leaves_out_no_better_edge(engine: Engine) -> None:
    access = build({"users": {**attacker(allow("iam:CreateAccessKey")),
                              "dev": {"access_keys": 0}, "ops": {}, "admin": ADMIN}}, engine)
    assert found(access) == {
        (ATTACKER, expand("user/admin"), "AWS-IAM-03", "conditional"),
        (ATTACKER, expand("user/dev"), "AWS-IAM-03", "definite"),  # better: kept
    }


def test_a_principal_a_definite_step_from_admin_needs_no_other_edge(engine: Engine) -> None:
    access = build({"users": {**attacker(allow(["sts:AssumeRole", "iam:CreateAccessKey"])),
                              "dev": {"access_keys": 0}},
                    "roles": {"admin": {"trust": {"AWS": expand("root")}, **ADMIN}}}, engine)
    assert found(access) == {(ATTACKER, expand("role/admin"), "AWS-STS-01", "definite")}
    assert Escalation(access).reaches_admin(ATTACKER)


# --- modify_policy ----------------------------------------------------------------------------------


WORKER = {"trust": {"Service": "lambda.amazonaws.com"}, "policies": [[allow("s3:GetObject")]]}
PASS = allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"])


def test_become_a_role_and_rewrite_its_policy(engine: Engine) -> None:
    access = build({"users": attacker(PASS, allow("iam:PutRolePolicy", expand("role/worker"))),
                    "roles": {"worker": WORKER}}, engine)
    assert found(access) == {
        (ATTACKER, expand("role/worker"), "AWS-LMB-01", "definite"),
        (ATTACKER, expand("role/worker"), "AWS-IAM-11", "definite"),
    }
    assert Escalation(access).reaches_admin(ATTACKER)


def test_nobody_can_use_a_right_on_principals_no_edge_touches(engine: Engine) -> None:
    access = build({"users": attacker(allow("iam:PutRolePolicy")),
                    "roles": {"worker": WORKER}}, engine)
    assert not found(access)


def test_a_group_target_stands_for_its_members(engine: Engine) -> None:
    access = build({"users": {**attacker(PASS, allow("iam:PutGroupPolicy")),
                              "dev": {"groups": ["devs"], "policies": [[allow(PASS["Action"])]]}},
                    "groups": {"devs": {"policies": [[allow("s3:ListAllMyBuckets")]]}},
                    "roles": {"worker": WORKER}}, engine)
    assert (ATTACKER, expand("group/devs"), "AWS-IAM-10", "definite") in found(access)


def test_a_member_an_allow_all_cannot_make_admin_splits_the_group(engine: Engine) -> None:
    access = build({"users": {**attacker(PASS, allow("iam:PutGroupPolicy")),
                              "dev": {"groups": ["devs"], "policies": [[allow(PASS["Action"])]]},
                              "intern": {"groups": ["devs"], "boundary": "managed:read-only",
                                         "policies": [[allow(PASS["Action"])]]}},
                    "groups": {"devs": {"policies": [[allow("s3:ListAllMyBuckets")]]}},
                    "managed": {"read-only": [allow(["s3:Get*", "iam:PassRole",
                                                     "lambda:*"])]},
                    "roles": {"worker": WORKER}}, engine)
    assert found(access, "AWS-IAM-10") == {
        (ATTACKER, expand("user/dev"), "AWS-IAM-10", "definite")}


def test_a_policy_target_stands_for_its_holders(engine: Engine) -> None:
    access = build({"users": attacker(PASS, allow(["iam:CreatePolicyVersion",
                                                   "iam:SetDefaultPolicyVersion"])),
                    "roles": {"worker": {**WORKER, "policies": ["managed:shared"]}},
                    "managed": {"shared": [allow("s3:GetObject")]}}, engine)
    assert found(access, "AWS-IAM-01") == {
        (ATTACKER, expand("policy/shared"), "AWS-IAM-01", "definite")}
    assert found(access, "AWS-IAM-02") == {
        (ATTACKER, expand("policy/shared"), "AWS-IAM-02", "conditional")}


# --- join_group ---------------------------------------------------------------------------------------


def test_a_boundary_limits_what_joining_an_admin_group_gives(engine: Engine) -> None:
    access = build({"users": attacker(allow("iam:AddUserToGroup"), boundary="managed:limit"),
                    "groups": {"admins": ADMIN},
                    "managed": {"limit": [allow(["iam:AddUserToGroup", "s3:*"])]}}, engine)
    [edge] = [e for e in access.edges if e.technique == "AWS-IAM-12"]
    assert edge.confidence.value == "conditional"
    assert access.admins[expand("group/admins")].admin


# --- web_identity ----------------------------------------------------------------------------------


COGNITO = "cognito-identity.amazonaws.com"
SAML = expand("saml-provider/corp")
EKS = "arn:aws:iam::111111111111:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"


def federated(provider: str, action: str, condition: dict | None = None) -> dict:
    statement = {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": action}
    if condition:
        statement["Condition"] = condition
    return {"roles": {"app": {"trust": {"Statement": [statement]}, **ADMIN}}}


@pytest.mark.parametrize(("provider", "action", "condition", "weak"), [
    (COGNITO, "sts:AssumeRoleWithWebIdentity", None, True),
    (COGNITO, "sts:AssumeRoleWithWebIdentity",
     {"StringEquals": {f"{COGNITO}:aud": "us-east-1:1234"},
      "ForAnyValue:StringLike": {f"{COGNITO}:amr": "unauthenticated"}}, True),
    (COGNITO, "sts:AssumeRoleWithWebIdentity",
     {"StringEquals": {f"{COGNITO}:aud": "us-east-1:1234"},
      "ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}}, False),
    (SAML, "sts:AssumeRoleWithSAML", None, True),
    (SAML, "sts:AssumeRoleWithSAML",
     {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}, False),
    (EKS, "sts:AssumeRoleWithWebIdentity",
     {"StringEquals": {"oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com"}},
     True),
    (EKS, "sts:AssumeRoleWithWebIdentity",
     {"StringEquals": {"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub":
                       "system:serviceaccount:web:app"}}, False),
    (EKS, "sts:AssumeRole", None, False),
])
def test_federated_trusts(provider: str, action: str, condition: dict | None, weak: bool,
                          engine: Engine) -> None:
    access = build(federated(provider, action, condition), engine)
    expected = {(provider, expand("role/app"), "AWS-STS-02", "conditional")} if weak else set()
    assert found(access) == expected


# --- run_as -------------------------------------------------------------------------------------------


def test_a_function_policy_grants_without_an_identity_allow(engine: Engine) -> None:
    function = "arn:aws:lambda:us-east-1:111111111111:function:worker"
    access = build({"users": {"attacker": {}},
                    "roles": {"target": {"trust": {"Service": "lambda.amazonaws.com"}, **ADMIN}},
                    "resources": [{"arn": function, "type": "aws:lambda:function",
                                   "attributes": {"role_arn": expand("role/target")},
                                   "policy": {"Version": "2012-10-17", "Statement": [{
                                       "Effect": "Allow", "Principal": {"AWS": ATTACKER},
                                       "Action": ["lambda:UpdateFunctionCode",
                                                  "lambda:InvokeFunction"],
                                       "Resource": function}]}}]}, engine)
    assert found(access) == {(ATTACKER, expand("role/target"), "AWS-LMB-04", "definite")}
