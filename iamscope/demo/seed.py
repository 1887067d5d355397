"""Create a declarative AWS scenario on a moto server (or any endpoint) through boto3.

A scenario is a JSON object (``fixtures/aws/scenarios/flawed-org.json`` is the reference;
its ``description`` repeats this summary)::

    format: "iamscope-aws-scenario", version: 1
    region: where regional resources go
    external_accounts: {name: account id} of accounts outside the organisation
    organization:
      feature_set, policy_types (enabled on the root)
      ous: [{name, parent}]            parent "root" or an earlier OU name
      policies: [{name, type, description, document, targets, aws_managed}]
                targets "root" | "ou:<name>" | "account:<name>"; aws_managed policies
                (FullAWSAccess, RCPFullAWSAccess) exist already and are only attached
      delegated_administrators: [{account, service_principal}]
    accounts: [{name, management | email + ou, alias, policies, groups, roles, users,
                buckets, kms_keys, queues, topics, secrets, ecr_repositories, functions,
                instances, task_definitions, codebuild_projects, stacks}]

The management account is the one the credentials are in: it creates the organisation,
the OUs, the member accounts (``CreateAccount``, then ``MoveAccount`` into their OU), the
organisation policies and the delegated administrators. Each member is then seeded through
``OrganizationAccountAccessRole`` (assumed from the management account), which first gets
``AdministratorAccess`` attached, as AWS Organizations does for the accounts it creates.

Strings may contain ``${partition}``, ``${region}``, ``${account}`` (the account being
seeded), ``${account:<name>}``, ``${external:<name>}``, ``${org_id}`` and ``${root_id}``;
account and organisation ids are known only once the server assigns them.

``seed_scenario`` returns the ids it learned by logical name: ``organization``, ``root``,
``ou:<name>``, ``account:<name>``, ``policy:<name>`` (organisation policies), and
``<account>:<kind>:<name>`` for everything in an account (``prod:role:ops-automation`` ->
the role ARN; kinds: policy, group, role, instance_profile, user, access_key, bucket,
kms_key, queue, topic, secret, ecr_repository, function, instance, task_definition,
codebuild_project, stack). Secrets of access keys and login profiles are never returned.

AWS-managed policies (``arn:aws:iam::aws:policy/...``) exist on moto only when the server
was started with ``MOTO_IAM_LOAD_MANAGED_POLICIES=true``; seeding says so if they are
missing. moto ignores permissions boundaries on users (roles keep theirs), so scenarios
put boundaries on roles.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from typing import Any

from iamscope.demo.account import AccountSeeder
from iamscope.errors import InputError

SCENARIO_FORMAT = "iamscope-aws-scenario"
SCENARIO_VERSION = 1
MEMBER_ROLE = "OrganizationAccountAccessRole"
# moto accepts any key pair for the default account; a real endpoint would use its own.
DEFAULT_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
PLACEHOLDER = re.compile(r"\$\{([a-z_]+)(?::([A-Za-z0-9_.-]+))?\}")


def seed_scenario(endpoint_url: str, scenario: dict[str, Any]) -> dict[str, str]:
    """Create everything in ``scenario`` at ``endpoint_url``; the logical name -> id map."""
    if scenario.get("format") != SCENARIO_FORMAT or scenario.get("version") != SCENARIO_VERSION:
        raise InputError(f"not an {SCENARIO_FORMAT} v{SCENARIO_VERSION} scenario")
    managers = [a for a in scenario.get("accounts") or [] if a.get("management")]
    if len(managers) != 1:
        raise InputError("a scenario needs exactly one account with \"management\": true")
    seeder = Seeder(endpoint_url, scenario)
    seeder.organization(managers[0]["name"])
    for account in scenario["accounts"]:
        seeder.account(account)
    return dict(sorted(seeder.ids.items()))


class Seeder:
    def __init__(self, endpoint_url: str, scenario: dict[str, Any]):
        import boto3

        self.boto3 = boto3
        self.endpoint_url = endpoint_url
        self.scenario = scenario
        self.region: str = scenario.get("region", "us-east-1")
        self.management = boto3.session.Session(region_name=self.region, **DEFAULT_CREDENTIALS)
        self.partition: str = self.management.get_partition_for_region(self.region)
        self.ids: dict[str, str] = {}
        self.accounts: dict[str, str] = {}

    def client(self, session: Any, service: str) -> Any:
        return session.client(service, region_name=self.region, endpoint_url=self.endpoint_url)

    # -- placeholders ---------------------------------------------------------------------

    def resolve(self, value: Any, account_id: str) -> Any:
        if isinstance(value, dict):
            return {k: self.resolve(v, account_id) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, account_id) for v in value]
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda m: self._placeholder(m, account_id), value)
        return value

    def _placeholder(self, match: re.Match[str], account_id: str) -> str:
        kind, name = match.group(1), match.group(2)
        known: dict[tuple[str, str | None], str | None] = {
            ("partition", None): self.partition, ("region", None): self.region,
            ("account", None): account_id, ("org_id", None): self.ids.get("organization"),
            ("root_id", None): self.ids.get("root"),
        }
        if kind == "account" and name is not None:
            value = self.accounts.get(name)
        elif kind == "external" and name is not None:
            value = (self.scenario.get("external_accounts") or {}).get(name)
        else:
            value = known.get((kind, name))
        if value is None:
            raise InputError(f"scenario placeholder {match.group(0)} has no value")
        return value

    def document(self, value: Any, account_id: str) -> str:
        return json.dumps(self.resolve(value, account_id))

    # -- the organisation -----------------------------------------------------------------

    def organization(self, management_name: str) -> None:
        spec = self.scenario.get("organization") or {}
        org = self.client(self.management, "organizations")
        management_id = self.client(self.management, "sts").get_caller_identity()["Account"]
        self.accounts[management_name] = management_id
        self.ids[f"account:{management_name}"] = management_id
        described = org.create_organization(FeatureSet=spec.get("feature_set", "ALL"))
        self.ids["organization"] = described["Organization"]["Id"]
        root_id = org.list_roots()["Roots"][0]["Id"]
        self.ids["root"] = root_id
        for policy_type in spec.get("policy_types") or []:
            with contextlib.suppress(org.exceptions.PolicyTypeAlreadyEnabledException):
                org.enable_policy_type(RootId=root_id, PolicyType=policy_type)
        for ou in spec.get("ous") or []:
            parent = root_id if ou["parent"] == "root" else self.ids[f"ou:{ou['parent']}"]
            created = org.create_organizational_unit(ParentId=parent, Name=ou["name"])
            self.ids[f"ou:{ou['name']}"] = created["OrganizationalUnit"]["Id"]
        for account in self.scenario["accounts"]:
            if not account.get("management"):
                self._create_account(org, account, root_id)
        for policy in spec.get("policies") or []:
            self._org_policy(org, policy, management_id)
        for admin in spec.get("delegated_administrators") or []:
            org.register_delegated_administrator(AccountId=self.accounts[admin["account"]],
                                                 ServicePrincipal=admin["service_principal"])

    def _create_account(self, org: Any, account: dict[str, Any], root_id: str) -> None:
        status = org.create_account(Email=account["email"],
                                    AccountName=account["name"])["CreateAccountStatus"]
        for _ in range(60):
            if status["State"] != "IN_PROGRESS":
                break
            time.sleep(1)
            status = org.describe_create_account_status(
                CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
        if status["State"] != "SUCCEEDED":
            raise InputError(f"creating account {account['name']}: {status.get('FailureReason')}")
        account_id = status["AccountId"]
        self.accounts[account["name"]] = account_id
        self.ids[f"account:{account['name']}"] = account_id
        if account.get("ou"):
            org.move_account(AccountId=account_id, SourceParentId=root_id,
                             DestinationParentId=self.ids[f"ou:{account['ou']}"])

    def _org_policy(self, org: Any, policy: dict[str, Any], management_id: str) -> None:
        if policy.get("aws_managed"):
            listed = org.list_policies(Filter=policy["type"])["Policies"]
            found = [p["Id"] for p in listed if p["Name"] == policy["name"]]
            if not found:
                raise InputError(f"AWS-managed organisation policy {policy['name']} not found")
            policy_id = found[0]
        else:
            created = org.create_policy(
                Name=policy["name"], Type=policy["type"],
                Description=policy.get("description", ""),
                Content=self.document(policy["document"], management_id))
            policy_id = created["Policy"]["PolicySummary"]["Id"]
        self.ids[f"policy:{policy['name']}"] = policy_id
        for target in policy.get("targets") or []:
            with contextlib.suppress(org.exceptions.DuplicatePolicyAttachmentException):
                org.attach_policy(PolicyId=policy_id, TargetId=self._target(target))

    def _target(self, target: str) -> str:
        if target == "root":
            return self.ids["root"]
        kind, _, name = target.partition(":")
        key = {"ou": f"ou:{name}", "account": f"account:{name}"}.get(kind)
        if key is None or key not in self.ids:
            raise InputError(f"unknown organisation policy target {target!r}")
        return self.ids[key]

    # -- one account ----------------------------------------------------------------------

    def account(self, spec: dict[str, Any]) -> None:
        name = spec["name"]
        account_id = self.accounts[name]
        session = self.management if spec.get("management") else self._assume(account_id)
        iam = self.client(session, "iam")
        if not spec.get("management"):
            self.attach(iam, "role", MEMBER_ROLE,
                         f"arn:{self.partition}:iam::aws:policy/AdministratorAccess")
        if spec.get("alias"):
            iam.create_account_alias(AccountAlias=spec["alias"])
        AccountSeeder(self, session, name, account_id).seed(spec)

    def _assume(self, account_id: str) -> Any:
        role_arn = f"arn:{self.partition}:iam::{account_id}:role/{MEMBER_ROLE}"
        credentials = self.client(self.management, "sts").assume_role(
            RoleArn=role_arn, RoleSessionName="iamscope-seed")["Credentials"]
        return self.boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"], region_name=self.region)

    def attach(self, iam: Any, kind: str, name: str, policy_arn: str) -> None:
        method = {"role": iam.attach_role_policy, "user": iam.attach_user_policy,
                  "group": iam.attach_group_policy}[kind]
        try:
            method(**{f"{kind.capitalize()}Name": name, "PolicyArn": policy_arn})
        except iam.exceptions.NoSuchEntityException:
            hint = (" (start moto with MOTO_IAM_LOAD_MANAGED_POLICIES=true)"
                    if ":iam::aws:policy/" in policy_arn else "")
            raise InputError(f"cannot attach {policy_arn} to {kind} {name}: no such policy"
                             f"{hint}") from None
