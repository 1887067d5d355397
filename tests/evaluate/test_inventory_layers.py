"""Policies looked up in an inventory give exactly the decisions the raw policies give.

Every evaluation vector that an account can express (IAM users, roles and role sessions,
the root user, service and anonymous callers; no session policies) is turned into a raw
AWS collection — identity policies as inline and managed policies, the boundary as a
managed policy, SCP and RCP chains as an organisation, the resource policy on a resource
or as a role's trust policy — normalised, and evaluated with the layers the resolver finds.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from iamscope.collect.aws.normalize import normalize_collection
from iamscope.evaluate import Engine, PolicyLayers
from iamscope.evaluate.inventory_layers import InventoryResolver
from iamscope.evaluate.simulation_input import SimulationCase, read_cases
from iamscope.model.ids import CallerKind, parse_arn
from tests.conftest import SHARED

CASES_DIR = __import__("pathlib").Path(__file__).parent / "cases"
MANAGEMENT = "999999999999"
FULL_ACCESS = {"Version": "2012-10-17",
               "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _all_cases() -> list[SimulationCase]:
    cases = []
    shared = SHARED / "conformance" / "aws-policy-eval.json"
    if shared.exists():
        cases += read_cases(json.loads(shared.read_text()), source="shared")
    for path in sorted(CASES_DIR.glob("*.json")):
        cases += read_cases(json.loads(path.read_text()), source=path.name)
    return cases


def _expressible(case: SimulationCase) -> bool:
    layers = case.layers
    if layers is None or layers.session:
        return False
    caller = case.request.caller()
    if caller.kind in (CallerKind.FEDERATED_USER, CallerKind.WEB_IDENTITY):
        return False
    if caller.kind is CallerKind.ROOT and layers.identity:
        return False
    if caller.is_service_linked_role and caller.path is None:
        return False
    arn = parse_arn(case.request.resource)
    if layers.resource is not None and (arn is None or (not arn.account and arn.service != "s3")):
        return False
    # A role as the target of a non-trust action would need the role as a resource too.
    return not (arn is not None and arn.service == "iam" and layers.resource is not None
                and not case.request.action.lower().startswith("sts:"))


def _doc(policy: Any) -> dict:
    return policy.document


def _entity(caller, identity: list, boundary) -> tuple[str, dict, list]:
    """(list key, entity, managed policies) for the caller's IAM principal."""
    managed = []
    attached = []
    inline = []
    for i, policy in enumerate(identity):
        if i % 2:  # alternate inline and customer-managed, to exercise both paths
            arn = f"arn:aws:iam::{caller.account}:policy/p{i}"
            managed.append({"Arn": arn, "DefaultVersionId": "v1", "PolicyVersionList": [
                {"Document": _doc(policy), "VersionId": "v1", "IsDefaultVersion": True}]})
            attached.append({"PolicyArn": arn, "PolicyName": f"p{i}"})
        else:
            inline.append({"PolicyName": f"p{i}", "PolicyDocument": _doc(policy)})
    entity: dict[str, Any] = {"AttachedManagedPolicies": attached}
    if boundary is not None:
        arn = f"arn:aws:iam::{caller.account}:policy/boundary"
        managed.append({"Arn": arn, "DefaultVersionId": "v1", "PolicyVersionList": [
            {"Document": _doc(boundary), "VersionId": "v1", "IsDefaultVersion": True}]})
        entity["PermissionsBoundary"] = {"PermissionsBoundaryArn": arn}
    if caller.kind is CallerKind.IAM_USER:
        path = caller.path or "/"
        entity.update({"UserName": caller.name, "Path": path,
                       "Arn": f"arn:aws:iam::{caller.account}:user{path}{caller.name}",
                       "UserPolicyList": inline, "GroupList": []})
        return "UserDetailList", entity, managed
    role_arn = caller.role_arn or f"arn:aws:iam::{caller.account}:role/{caller.name}"
    path = caller.path or "/"
    entity.update({"RoleName": caller.name, "Path": path, "Arn": role_arn,
                   "RolePolicyList": inline,
                   "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}})
    return "RoleDetailList", entity, managed


def _account(raw: dict, account: str) -> dict:
    for item in raw["accounts"]:
        if item["account_id"] == account:
            return item
    item = {"account_id": account, "partition": "aws", "account_alias": None,
            "authorization_details": {"UserDetailList": [], "GroupDetailList": [],
                                      "RoleDetailList": [], "Policies": []},
            "credentials": {}, "resources": [], "regions": [], "gaps": []}
    raw["accounts"].append(item)
    return item


def _organization(raw: dict, layers: PolicyLayers, caller_account: str | None,
                  resource_account: str) -> None:
    scps = [[_doc(p) for p in level] for level in layers.scps]
    rcps = [[_doc(p) for p in level] for level in layers.rcps]
    if not scps and not rcps:
        return
    depth = max(2, len(scps), len(rcps))
    if scps:
        while len(scps) < depth:
            scps.insert(1, [FULL_ACCESS])  # an allow-everything level changes nothing
    rcps += [[]] * (depth - len(rcps))
    policies: list[dict] = []
    nodes: dict[str, list[str]] = {}  # account -> node ids root..account

    def chain(account: str) -> list[str]:
        if account not in nodes:
            nodes[account] = ["r-root"] + [f"ou-{account}-{i}" for i in range(1, depth - 1)] + \
                [account]
        return nodes[account]

    def attach(kind: str, documents: list, target: str) -> None:
        for document in documents:
            n = len(policies)
            policies.append({"id": f"p-{n}", "arn": f"arn:aws:organizations::{MANAGEMENT}:policy/"
                             f"o-test/{kind.lower()}/p-{n}", "name": f"p{n}", "type": kind,
                             "aws_managed": False, "document": document, "targets": [target]})

    if caller_account is not None and scps:
        for level, node in zip(scps, chain(caller_account), strict=True):
            attach("SERVICE_CONTROL_POLICY", level, node)
    for level, node in zip(rcps, chain(resource_account), strict=True):
        attach("RESOURCE_CONTROL_POLICY", level, node)
    ous, accounts = {}, []
    for node_ids in nodes.values():
        for parent, node in itertools.pairwise(node_ids):
            if node.startswith("ou-"):
                ous[node] = {"id": node, "arn": node, "name": node, "parent_id": parent}
            else:
                accounts.append({"id": node, "arn": node, "name": node, "parent_id": parent,
                                 "status": "ACTIVE"})
    types = (["SERVICE_CONTROL_POLICY"] if scps else []) + ["RESOURCE_CONTROL_POLICY"]
    raw["organization"] = {
        "organization_id": "o-test", "arn": "o-test", "management_account_id": MANAGEMENT,
        "feature_set": "ALL", "roots": [{"id": "r-root", "arn": "r-root", "name": "Root"}],
        "ous": list(ous.values()), "accounts": accounts, "policies": policies,
        "enabled_policy_types": types, "delegated_administrators": []}


def to_raw(case: SimulationCase) -> dict:
    request, layers = case.request, case.layers
    assert layers is not None
    caller = request.caller()
    owner = request.owning_account(caller) or "111122223333"
    raw: dict[str, Any] = {"format": "iamscope-aws-raw", "version": 1, "collected_at": "",
                           "collector_version": "test", "accounts": [], "organization": None,
                           "gaps": []}
    if caller.is_iam_principal:
        key, entity, managed = _entity(caller, list(layers.identity), layers.boundary)
        details = _account(raw, caller.account)["authorization_details"]
        details[key].append(entity)
        details["Policies"].extend(managed)
    target = _account(raw, owner)
    if layers.resource is not None:
        arn = request.resource
        if request.action.lower().startswith("sts:") and ":role/" in arn:
            name = arn.rsplit("/", 1)[-1]
            details = target["authorization_details"]
            existing = [r for r in details["RoleDetailList"] if r["RoleName"] == name]
            if existing:
                existing[0]["AssumeRolePolicyDocument"] = _doc(layers.resource)
            else:
                details["RoleDetailList"].append({
                    "RoleName": name, "Path": "/", "Arn": arn, "RolePolicyList": [],
                    "AttachedManagedPolicies": [],
                    "AssumeRolePolicyDocument": _doc(layers.resource)})
        else:
            if arn.startswith("arn:aws:s3:::") and "/" in arn:
                arn = arn.split("/", 1)[0]
            target["resources"].append({"arn": arn, "type": "aws:test", "region": None,
                                        "name": arn, "policy": _doc(layers.resource)})
    _organization(raw, layers, caller.account if caller.account else None, owner)
    return raw


CASES = [c for c in _all_cases() if _expressible(c)]


def test_most_vectors_are_expressible() -> None:
    assert len(CASES) > 300


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_inventory_decision_equals_raw_decision(engine: Engine, case: SimulationCase) -> None:
    inventory = normalize_collection(to_raw(case)).inventory
    assert not inventory.gaps, inventory.gaps
    resolved = InventoryResolver(inventory).resolve(case.request)
    raw_layers = case.layers
    assert raw_layers is not None
    from_inventory = engine.evaluate(resolved.request, resolved.layers)
    from_raw = engine.evaluate(resolved.request, raw_layers)
    assert from_inventory.decision is from_raw.decision, (from_inventory.reason, from_raw.reason)
