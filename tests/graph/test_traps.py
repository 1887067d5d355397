"""The traps of privesc.md section 7 (and iam-vulnerable's fn/fp paths) that an edge engine
must get right, each as a small account in the compact case format."""

from __future__ import annotations

import pytest

from iamscope.evaluate import Engine
from iamscope.graph.build import AccessGraph, build_graph
from tests.graph.cases import edge_key, escalation_edges, expand, inventory

ATTACKER = expand("user/attacker")
ROLE_ATTACKER = expand("role/attacker")


def allow(actions, resource="*", condition=None) -> dict:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def deny(actions, resource="*") -> dict:
    return {"Effect": "Deny", "Action": actions, "Resource": resource}


def build(case: dict, engine: Engine) -> AccessGraph:
    return build_graph(inventory(case), engine)


def found(access: AccessGraph) -> set[tuple[str, str, str, str]]:
    return {edge_key(e) for e in escalation_edges(access.edges)}


def techniques_from(access: AccessGraph, source: str) -> set[str]:
    return {e.technique for e in access.edges if e.source == source}


# --- 7.3 principal types ------------------------------------------------------------------------

SELF_GRANTS = ["iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:AttachRolePolicy",
               "iam:PutRolePolicy", "iam:AttachGroupPolicy", "iam:PutGroupPolicy",
               "iam:AddUserToGroup"]


def test_a_role_gains_nothing_from_user_and_group_actions(engine: Engine) -> None:
    access = build({"roles": {"attacker": {
        "trust": {"Service": "lambda.amazonaws.com"},
        "policies": [[allow(["iam:AttachUserPolicy", "iam:PutUserPolicy",
                             "iam:AttachGroupPolicy", "iam:PutGroupPolicy",
                             "iam:AddUserToGroup"])]]}},
        "groups": {"admins": {"policies": ["aws:AdministratorAccess"]}}}, engine)
    assert ROLE_ATTACKER not in access.admins
    assert not techniques_from(access, ROLE_ATTACKER)


def test_a_user_gains_nothing_from_role_actions(engine: Engine) -> None:
    access = build({"users": {"attacker": {"policies": [[allow(
        ["iam:AttachRolePolicy", "iam:PutRolePolicy"])]]}}}, engine)
    assert ATTACKER not in access.admins
    assert not techniques_from(access, ATTACKER)


def test_each_principal_type_uses_its_own_actions(engine: Engine) -> None:
    access = build({"users": {"attacker": {"policies": [[allow(SELF_GRANTS)]]}},
                    "roles": {"attacker": {"trust": {"Service": "ec2.amazonaws.com"},
                                           "policies": [[allow(SELF_GRANTS)]]}}}, engine)
    assert access.admins[ATTACKER].reason.startswith("can grant itself any permission "
                                                     "(AWS-IAM-06")
    assert access.admins[ROLE_ATTACKER].reason.startswith("can grant itself any permission "
                                                          "(AWS-IAM-08")


# --- 7.6 Deny anywhere wins, boundaries intersect, SCPs ------------------------------------------


@pytest.mark.parametrize("where", ["inline", "managed", "group"])
def test_an_explicit_deny_in_another_policy_wins(where: str, engine: Engine) -> None:
    denial = [deny("iam:*")]
    user: dict = {"policies": [[allow("iam:PutUserPolicy", ATTACKER)]]}
    case: dict = {"users": {"attacker": user}}
    if where == "inline":
        user["policies"].append(denial)
    elif where == "managed":
        user["policies"].append("managed:guardrail")
        case["managed"] = {"guardrail": denial}
    else:
        user["groups"] = ["restricted"]
        case["groups"] = {"restricted": {"policies": [denial]}}
    access = build(case, engine)
    assert ATTACKER not in access.admins
    assert not found(access)


def test_a_deny_the_new_policy_cannot_lift_keeps_the_principal_from_admin(
        engine: Engine) -> None:
    access = build({"users": {"attacker": {"policies": [
        [allow("iam:PutUserPolicy", ATTACKER)], "managed:no-data"]}},
        "managed": {"no-data": [deny("s3:*")]}}, engine)
    assert ATTACKER not in access.admins


@pytest.mark.parametrize(("boundary", "why"), [
    ([allow("s3:*")], "the boundary does not allow the call"),
    ([allow("iam:PutUserPolicy")], "the boundary caps what the new policy grants"),
])
def test_a_permissions_boundary_intersects(boundary: list, why: str, engine: Engine) -> None:
    access = build({"users": {"attacker": {
        "policies": [[allow("iam:PutUserPolicy", ATTACKER)]], "boundary": "managed:boundary"}},
        "managed": {"boundary": boundary}}, engine)
    assert ATTACKER not in access.admins, why


def test_a_permissive_boundary_changes_nothing(engine: Engine) -> None:
    access = build({"users": {"attacker": {
        "policies": [[allow("iam:PutUserPolicy", ATTACKER)]],
        "boundary": "aws:AdministratorAccess"}}}, engine)
    assert (ATTACKER, ATTACKER, "AWS-IAM-09", "definite") in found(access)


@pytest.mark.parametrize("scp", [[deny("iam:PutUserPolicy")], [deny("s3:*")]])
def test_an_scp_blocks_the_call_or_the_admin_it_would_give(scp: list, engine: Engine) -> None:
    access = build({"users": {"attacker": {"policies": [[allow("iam:PutUserPolicy", ATTACKER)]]}},
                    "scps": [scp]}, engine)
    assert ATTACKER not in access.admins


def test_pass_role_through_a_denied_service_is_no_edge(engine: Engine) -> None:
    access = build({"users": {"attacker": {"policies": [[allow(
        ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"])]]}},
        "roles": {"target": {"trust": {"Service": "lambda.amazonaws.com"},
                             "policies": ["aws:AdministratorAccess"]}},
        "scps": [[deny("lambda:*")]]}, engine)
    assert not techniques_from(access, ATTACKER)


# --- 7.5 AWS-managed policies and resource constraints -------------------------------------------


def test_aws_managed_policies_cannot_be_versioned(engine: Engine) -> None:
    case = {"users": {"attacker": {"policies": ["aws:Versioner", "aws:ReadOnly"]}},
            "aws_managed": {"Versioner": [allow(["iam:CreatePolicyVersion",
                                                 "iam:SetDefaultPolicyVersion"])],
                            "ReadOnly": [allow("s3:Get*")]}}
    assert not found(build(case, engine))
    case["users"]["attacker"]["policies"].append("managed:team")
    case["managed"] = {"team": [allow("s3:List*")]}
    assert (ATTACKER, ATTACKER, "AWS-IAM-01", "definite") in found(build(case, engine))


def test_a_version_right_on_another_policy_is_no_self_grant(engine: Engine) -> None:
    access = build({"users": {"attacker": {"policies": [
        "managed:team", [allow("iam:CreatePolicyVersion", expand("policy/other"))]]}},
        "managed": {"team": [allow("s3:List*")], "other": [allow("s3:List*")]}}, engine)
    assert ATTACKER not in access.admins


# --- 7.6 allows are unioned across policies; NotAction is broad -----------------------------------


def test_allows_combine_across_attached_policies(engine: Engine) -> None:
    """iam-vulnerable fn1: each policy alone is harmless."""
    access = build({"users": {"attacker": {"policies": ["managed:pass", "managed:lambda"]}},
                    "managed": {"pass": [allow("iam:PassRole")],
                                "lambda": [allow(["lambda:CreateFunction",
                                                  "lambda:InvokeFunction"])]},
                    "roles": {"target": {"trust": {"Service": "lambda.amazonaws.com"},
                                         "policies": ["aws:AdministratorAccess"]}}}, engine)
    assert found(access) == {(ATTACKER, expand("role/target"), "AWS-LMB-01", "definite")}


def test_allows_combine_across_user_and_group_policies(engine: Engine) -> None:
    access = build({"users": {"attacker": {"policies": [[allow("iam:CreateRole")]],
                                           "groups": ["builders"]}},
                    "groups": {"builders": {"policies": [[allow("iam:AttachRolePolicy")]]}}},
                   engine)
    assert found(access) == {(ATTACKER, ATTACKER, "AWS-IAM-14", "definite")}


def test_a_notaction_allow_grants_broadly(engine: Engine) -> None:
    """iam-vulnerable fn4: NotAction s3:* allows iam:AttachUserPolicy."""
    access = build({"users": {"attacker": {"policies": [[
        {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]]}}}, engine)
    assert found(access) == {(ATTACKER, ATTACKER, "AWS-IAM-06", "definite")}
    assert "AWS-IAM-06" in access.admins[ATTACKER].reason


# --- 7.1 a trust naming the account root needs an identity allow ----------------------------------


@pytest.mark.parametrize(("trusted", "identity", "edge"), [
    (ATTACKER, [], True),
    (expand("root"), [], False),
    (expand("root"), [[allow("sts:AssumeRole")]], True),
])
def test_account_root_trust_needs_an_identity_allow(trusted: str, identity: list, edge: bool,
                                                    engine: Engine) -> None:
    access = build({"users": {"attacker": {"policies": identity}},
                    "roles": {"target": {"trust": {"AWS": trusted},
                                         "policies": ["aws:AdministratorAccess"]}}}, engine)
    expected = {(ATTACKER, expand("role/target"), "AWS-STS-01", "definite")} if edge else set()
    assert found(access) == expected


def test_a_new_role_trusting_its_creator_needs_no_assume_allow(engine: Engine) -> None:
    case = {"users": {"attacker": {"policies": [[allow(["iam:CreateRole", "iam:PutRolePolicy"]),
                                                 deny("sts:AssumeRole")]]}}}
    assert not found(build(case, engine))
    case["users"]["attacker"]["policies"][0].pop()
    assert found(build(case, engine)) == {(ATTACKER, ATTACKER, "AWS-IAM-14", "definite")}


# --- 7.4 target state -----------------------------------------------------------------------------


def test_service_linked_roles_are_never_rewritten_or_modified(engine: Engine) -> None:
    access = build({"users": {"attacker": {"policies": [[allow(
        ["iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy"])]]}},
        "roles": {"AWSServiceRoleForECS": {"path": "/aws-service-role/",
                                           "trust": {"Service": "ecs.amazonaws.com"},
                                           "policies": ["aws:AdministratorAccess"]}}}, engine)
    assert not found(access)
