"""The flawed-org scenario: seeding it on the moto server, then collecting it with
``collect(org=True)`` finds every account, the OU tree, the SCP/RCP targets, IAM, the
resources with their policies and the roles compute runs as, by exact id and ARN."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from iamscope.collect.aws.collect import collect
from iamscope.collect.aws.raw import AccountRaw, CollectionRaw
from iamscope.demo.seed import seed_scenario
from iamscope.errors import InputError
from tests.collect.moto_gaps import MotoConnection
from tests.moto_server import reset, session

SCENARIO_PATH = Path(__file__).resolve().parents[2] / "fixtures/aws/scenarios/flawed-org.json"
REGION = "us-east-1"
ACCOUNTS = ("management", "security", "prod", "sandbox")


def scenario() -> dict[str, Any]:
    return json.loads(SCENARIO_PATH.read_text())


class Seeded:
    def __init__(self, ids: dict[str, str], raw: CollectionRaw, selected: CollectionRaw):
        self.ids = ids
        self.raw = raw
        self.selected = selected

    def account(self, name: str) -> AccountRaw:
        account_id = self.ids[f"account:{name}"]
        [found] = [a for a in self.raw["accounts"] if a["account_id"] == account_id]
        return found

    def resolve(self, value: Any, account: str) -> Any:
        """The scenario's placeholders filled in from the seeded ids (independently of the
        seeder's own substitution)."""
        text = json.dumps(value)
        text = text.replace("${partition}", "aws").replace("${region}", REGION)
        text = text.replace("${account}", self.ids[f"account:{account}"])
        text = text.replace("${org_id}", self.ids["organization"])
        text = text.replace("${external:vendor}", "999988887777")
        text = re.sub(r"\$\{account:([a-z]+)\}", lambda m: self.ids[f"account:{m[1]}"], text)
        return json.loads(text)


@pytest.fixture(scope="module")
def seeded(moto_endpoint: str) -> Iterator[Seeded]:
    # Reset first: moto re-creates every existing account's backends on reset, and with
    # AWS-managed policies loaded that would take long for the accounts of earlier tests.
    reset(moto_endpoint)
    with pytest.MonkeyPatch.context() as patch:
        # The in-process server reads this when it creates an account's IAM backend.
        patch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        ids = seed_scenario(moto_endpoint, scenario())
        connection = MotoConnection(_session=session(REGION), endpoint_url=moto_endpoint)
        raw = collect(connection, org=True, regions=[REGION])
        selected = collect(connection, org=True, regions=[REGION],
                           accounts=[ids["account:prod"]])
        yield Seeded(ids, raw, selected)
    reset(moto_endpoint)


def test_seed_names_everything_it_created(seeded: Seeded) -> None:
    ids = seeded.ids
    assert ids["account:management"] == "123456789012"
    members = [ids[f"account:{name}"] for name in ACCOUNTS]
    assert len(set(members)) == 4 and all(re.fullmatch(r"\d{12}", m) for m in members)
    assert re.fullmatch(r"o-[a-z0-9]{10}", ids["organization"])
    expected_prod = {
        "policy": {"DeveloperTools", "ci-deploy", "DeployBoundary"},
        "group": {"developers"},
        "role": {"ops-automation", "image-resize-exec", "app-server", "orders-task",
                 "ecs-task-execution", "cfn-deployer", "codebuild-deploy", "security-audit",
                 "vendor-monitoring", "partner-access"},
        "user": {"carol", "ci-bot", "dave"}, "access_key": {"ci-bot", "dave"},
        "instance_profile": {"app-server"}, "bucket": {"acme-prod-uploads"},
        "kms_key": {"alias/prod-data"}, "queue": {"orders"}, "topic": {"order-events"},
        "secret": {"prod/db-password"}, "ecr_repository": {"orders-service"},
        "function": {"image-resize"}, "instance": {"app-server-1"},
        "task_definition": {"orders"}, "codebuild_project": {"deploy-pipeline"},
        "stack": {"orders-infra"},
    }
    found: dict[str, set[str]] = {}
    for key in ids:
        if key.startswith("prod:"):
            _, kind, name = key.split(":", 2)
            found.setdefault(kind, set()).add(name)
    assert found == expected_prod
    assert {k for k in ids if ":" in k and k.split(":")[0] in ("ou", "policy")} == {
        "ou:Security", "ou:Workloads", "ou:Production", "ou:Sandbox",
        "policy:FullAWSAccess", "policy:RCPFullAWSAccess", "policy:DenyLeaveOrganization",
        "policy:RegionLock", "policy:DenyIamChanges", "policy:EnforceOrgIdentities"}


def test_every_account_is_collected_without_gaps(seeded: Seeded) -> None:
    raw = seeded.raw
    assert [a["account_id"] for a in raw["accounts"]] == sorted(
        seeded.ids[f"account:{name}"] for name in ACCOUNTS)
    assert raw["gaps"] == []
    assert all(a["gaps"] == [] for a in raw["accounts"])
    assert {seeded.account(n)["account_alias"] for n in ACCOUNTS} == {
        "acme-management", "acme-security", "acme-prod", "acme-sandbox"}
    assert [a["account_id"] for a in seeded.selected["accounts"]] == [seeded.ids["account:prod"]]
    assert seeded.selected["organization"] == raw["organization"]


def test_ou_tree_and_account_parents(seeded: Seeded) -> None:
    ids, org = seeded.ids, seeded.raw["organization"]
    assert org is not None
    assert org["management_account_id"] == ids["account:management"]
    assert org["organization_id"] == ids["organization"]
    assert [r["id"] for r in org["roots"]] == [ids["root"]]
    assert {ou["id"]: (ou["name"], ou["parent_id"]) for ou in org["ous"]} == {
        ids["ou:Security"]: ("Security", ids["root"]),
        ids["ou:Workloads"]: ("Workloads", ids["root"]),
        ids["ou:Production"]: ("Production", ids["ou:Workloads"]),
        ids["ou:Sandbox"]: ("Sandbox", ids["root"]),
    }
    assert {a["id"]: (a["parent_id"], a["status"]) for a in org["accounts"]} == {
        ids["account:management"]: (ids["root"], "ACTIVE"),
        ids["account:security"]: (ids["ou:Security"], "ACTIVE"),
        ids["account:prod"]: (ids["ou:Production"], "ACTIVE"),
        ids["account:sandbox"]: (ids["ou:Sandbox"], "ACTIVE"),
    }
    assert org["delegated_administrators"] == [{
        "account_id": ids["account:security"],
        "services": ["access-analyzer.amazonaws.com", "guardduty.amazonaws.com"]}]


def test_scp_and_rcp_targets_and_documents(seeded: Seeded) -> None:
    ids, org = seeded.ids, seeded.raw["organization"]
    assert org is not None
    assert org["enabled_policy_types"] == ["RESOURCE_CONTROL_POLICY", "SERVICE_CONTROL_POLICY"]
    everywhere = sorted([ids["root"], *(ids[f"ou:{n}"] for n in
                                        ("Security", "Workloads", "Production", "Sandbox")),
                         *(ids[f"account:{n}"] for n in ACCOUNTS)])
    policies = {p["name"]: p for p in org["policies"]}
    assert {name: (p["id"], p["type"], p["targets"]) for name, p in policies.items()} == {
        "FullAWSAccess": (ids["policy:FullAWSAccess"], "SERVICE_CONTROL_POLICY", everywhere),
        "RCPFullAWSAccess": (ids["policy:RCPFullAWSAccess"], "RESOURCE_CONTROL_POLICY",
                             everywhere),
        "DenyLeaveOrganization": (ids["policy:DenyLeaveOrganization"],
                                  "SERVICE_CONTROL_POLICY", [ids["root"]]),
        "RegionLock": (ids["policy:RegionLock"], "SERVICE_CONTROL_POLICY",
                       [ids["ou:Workloads"]]),
        "DenyIamChanges": (ids["policy:DenyIamChanges"], "SERVICE_CONTROL_POLICY",
                           [ids["account:sandbox"]]),
        "EnforceOrgIdentities": (ids["policy:EnforceOrgIdentities"],
                                 "RESOURCE_CONTROL_POLICY", [ids["ou:Workloads"]]),
    }
    declared = {p["name"]: p for p in scenario()["organization"]["policies"]}
    for name in ("DenyLeaveOrganization", "RegionLock", "DenyIamChanges",
                 "EnforceOrgIdentities"):
        assert json.loads(policies[name]["document"]) == seeded.resolve(
            declared[name]["document"], "management")
        assert policies[name]["aws_managed"] is False
    lock = json.loads(policies["RegionLock"]["document"])["Statement"][0]
    assert lock["Condition"]["StringNotEquals"] == {
        "aws:RequestedRegion": ["us-east-1", "eu-west-1"]}


def _resources(account: AccountRaw) -> dict[str, dict[str, Any]]:
    return {r["arn"]: r for r in account["resources"]}


def test_resources_by_exact_arn(seeded: Seeded) -> None:
    ids = seeded.ids
    kinds = {"bucket": "aws:s3:bucket", "kms_key": "aws:kms:key", "queue": "aws:sqs:queue",
             "topic": "aws:sns:topic", "secret": "aws:secretsmanager:secret",
             "ecr_repository": "aws:ecr:repository", "function": "aws:lambda:function",
             "instance": "aws:ec2:instance", "task_definition": "aws:ecs:task-definition",
             "codebuild_project": "aws:codebuild:project",
             "stack": "aws:cloudformation:stack"}
    for name in ACCOUNTS:
        expected = {(kinds[key.split(":")[1]], arn) for key, arn in ids.items()
                    if key.startswith(f"{name}:") and key.split(":")[1] in kinds}
        assert {(r["type"], r["arn"]) for r in seeded.account(name)["resources"]} == expected
    assert len(seeded.account("prod")["resources"]) == 11


def test_resource_policies_are_the_seeded_documents(seeded: Seeded) -> None:
    ids = seeded.ids
    prod = _resources(seeded.account("prod"))
    declared = next(a for a in scenario()["accounts"] if a["name"] == "prod")

    def policy_of(arn: str) -> Any:
        value = prod[arn]["policy"]
        return json.loads(value) if isinstance(value, str) else value

    for kind, key in (("buckets", "bucket"), ("queues", "queue"), ("topics", "topic"),
                      ("secrets", "secret"), ("ecr_repositories", "ecr_repository")):
        for item in declared[kind]:
            assert policy_of(ids[f"prod:{key}:{item['name']}"]) == seeded.resolve(
                item["policy"], "prod"), item["name"]
    [key] = declared["kms_keys"]
    assert policy_of(ids["prod:kms_key:alias/prod-data"]) == seeded.resolve(key["policy"], "prod")
    function_policy = policy_of(ids["prod:function:image-resize"])
    [statement] = function_policy["Statement"]
    assert statement["Sid"] == "s3-invoke"
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    public = _resources(seeded.account("sandbox"))["arn:aws:s3:::acme-sandbox-website"]
    assert json.loads(public["policy"])["Statement"][0]["Principal"] == "*"
    assert public["attributes"]["public_access_block"] == {
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False}


def test_compute_runs_as_the_seeded_roles(seeded: Seeded) -> None:
    ids = seeded.ids
    prod = _resources(seeded.account("prod"))

    def attributes(key: str) -> dict[str, Any]:
        return prod[ids[key]]["attributes"]

    role = {name: ids[f"prod:role:{name}"] for name in (
        "image-resize-exec", "app-server", "orders-task", "ecs-task-execution",
        "codebuild-deploy", "cfn-deployer")}
    assert role["image-resize-exec"] == (
        f"arn:aws:iam::{ids['account:prod']}:role/service-role/image-resize-exec")
    assert attributes("prod:function:image-resize")["role_arn"] == role["image-resize-exec"]
    instance = attributes("prod:instance:app-server-1")
    assert instance["instance_profile_arn"] == ids["prod:instance_profile:app-server"]
    assert instance["role_arns"] == [role["app-server"]]
    task = attributes("prod:task_definition:orders")
    assert (task["task_role_arn"], task["execution_role_arn"]) == (
        role["orders-task"], role["ecs-task-execution"])
    assert attributes("prod:codebuild_project:deploy-pipeline")["role_arn"] == (
        role["codebuild-deploy"])
    assert attributes("prod:stack:orders-infra")["role_arn"] == role["cfn-deployer"]


def test_iam_principals_policies_and_flaws(seeded: Seeded) -> None:
    ids = seeded.ids
    details = seeded.account("prod")["authorization_details"]
    roles = {r["Arn"]: r for r in details["RoleDetailList"]}
    users = {u["Arn"]: u for u in details["UserDetailList"]}
    assert set(roles) == {v for k, v in ids.items() if k.startswith("prod:role:")} | {
        f"arn:aws:iam::{ids['account:prod']}:role/OrganizationAccountAccessRole"}
    assert set(users) == {v for k, v in ids.items() if k.startswith("prod:user:")}
    assert ids["prod:user:ci-bot"].endswith(":user/automation/ci-bot")
    # Flaw: ci-bot may rewrite the policy attached to itself; version 2 is the default.
    ci_bot = users[ids["prod:user:ci-bot"]]
    assert [p["PolicyArn"] for p in ci_bot["AttachedManagedPolicies"]] == [
        ids["prod:policy:ci-deploy"]]
    [inline] = ci_bot["UserPolicyList"]
    assert inline["PolicyDocument"]["Statement"][0]["Action"] == [
        "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"]
    policies = {p["Arn"]: p for p in details["Policies"]}
    ci_deploy = policies[ids["prod:policy:ci-deploy"]]
    assert ci_deploy["DefaultVersionId"] == "v2"
    assert len(ci_deploy["PolicyVersionList"]) == 2
    assert "arn:aws:iam::aws:policy/ReadOnlyAccess" in policies  # AWS-managed, attached
    # Guarded: partner-access trusts "*" only within the organisation.
    partner = roles[ids["prod:role:partner-access"]]["AssumeRolePolicyDocument"]["Statement"][0]
    assert partner["Principal"] == {"AWS": "*"}
    assert partner["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ids["organization"]}}
    vendor = roles[ids["prod:role:vendor-monitoring"]]["AssumeRolePolicyDocument"]
    assert vendor["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::999988887777:root"}
    cfn = roles[ids["prod:role:cfn-deployer"]]
    assert cfn["PermissionsBoundary"]["PermissionsBoundaryArn"] == ids["prod:policy:DeployBoundary"]
    sandbox = seeded.account("sandbox")["authorization_details"]
    developer = next(r for r in sandbox["RoleDetailList"]
                     if r["RoleName"] == "sandbox-developer")
    assert developer["PermissionsBoundary"]["PermissionsBoundaryArn"] == (
        ids["sandbox:policy:DeveloperBoundary"])
    access = next(r for r in sandbox["RoleDetailList"]
                  if r["RoleName"] == "OrganizationAccountAccessRole")
    assert [p["PolicyArn"] for p in access["AttachedManagedPolicies"]] == [
        "arn:aws:iam::aws:policy/AdministratorAccess"]
    credentials = seeded.account("prod")["credentials"]
    assert credentials[ids["prod:user:carol"]]["login_profile"] is True
    assert [k["id"] for k in credentials[ids["prod:user:dave"]]["access_keys"]] == [
        ids["prod:access_key:dave"]]


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s.update(format="other"), "not an iamscope-aws-scenario"),
    (lambda s: s["accounts"][0].update(management=False), "exactly one account"),
])
def test_malformed_scenarios_are_refused_before_any_call(change: Any, message: str) -> None:
    data = scenario()
    change(data)
    with pytest.raises(InputError, match=message):
        seed_scenario("http://127.0.0.1:1", data)
