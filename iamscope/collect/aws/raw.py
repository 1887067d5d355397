"""The raw shape of an AWS collection: what the fetchers produce and the normaliser reads.

Everything is plain JSON-serialisable data, so a raw capture can be saved as a fixture
(``fixtures/aws/raw/<scenario>.json``) and normalised offline. The IAM part is exactly the
``GetAccountAuthorizationDetails`` response shape (pages merged), which is also what
``aws iam get-account-authorization-details`` prints, so an offline dump is a raw capture
with only that part filled in.

Fetchers never interpret policies; the normaliser (pure) turns this into an ``Inventory``.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

RAW_FORMAT = "iamscope-aws-raw"
RAW_VERSION = 1


class GapRaw(TypedDict):
    """Something that could not be read. ``permission`` is the IAM action whose absence (or
    failure) caused it; ``reason`` the error code or a short sentence."""

    scope: str  # e.g. "s3 bucket policy arn:aws:s3:::logs", "region ap-east-1", "service glue"
    reason: str
    permission: NotRequired[str | None]
    account: NotRequired[str | None]
    region: NotRequired[str | None]


class AccessKeyRaw(TypedDict):
    id: str
    status: str  # "Active" | "Inactive"


class CredentialsRaw(TypedDict):
    """Credential facts of one IAM user; ``None`` means "not learned" (a gap says why)."""

    login_profile: bool | None
    access_keys: list[AccessKeyRaw] | None
    mfa_devices: int | None


class ResourceRaw(TypedDict):
    """A resource. ``type`` is ``aws:<service>:<resource type>`` using the Service
    Authorization Reference's resource-type names (``aws:s3:bucket``, ``aws:kms:key``,
    ``aws:sqs:queue``, ``aws:sns:topic``, ``aws:lambda:function``,
    ``aws:secretsmanager:secret``, ``aws:ecr:repository``, ``aws:dynamodb:table``,
    ``aws:ec2:instance``, ``aws:ecs:task-definition``, ``aws:cloudformation:stack``,
    ``aws:codebuild:project``, ``aws:glue:job``, ``aws:glue:devendpoint``,
    ``aws:sagemaker:notebook-instance``, ``aws:ssm:managed-instance``).

    ``policy`` is the resource-based policy document (dict, or the JSON text the API
    returned), ``None`` when the resource has none, and absent when it was not read (a gap
    says why). ``attributes`` hold the facts analysis needs, with these names:
    ``role_arn`` (the role the resource runs as: Lambda execution role, CloudFormation
    service role, CodeBuild service role, Glue role, SageMaker role),
    ``instance_profile_arn`` and ``role_arns`` (EC2), ``task_role_arn`` and
    ``execution_role_arn`` (ECS), ``state`` (EC2 instance state, function state),
    ``ssm_managed`` (bool), ``function_url_auth_type`` (``AWS_IAM`` | ``NONE``),
    ``public_access_block`` (dict of the four flags, bucket level),
    ``account_public_access_block`` (same, account level), ``object_ownership``,
    ``grants`` (KMS grants: list of dicts with ``grantee_principal``, ``operations``,
    ``retiring_principal``, ``constraints``), ``key_manager`` (``AWS`` | ``CUSTOMER``),
    ``key_state``, ``kms_key_id``.
    """

    arn: str
    type: str
    region: str | None
    name: str
    policy: NotRequired[dict[str, Any] | str | None]
    tags: NotRequired[dict[str, str]]
    attributes: NotRequired[dict[str, Any]]


class AccountRaw(TypedDict):
    account_id: str
    partition: str  # "aws", "aws-cn", "aws-us-gov"
    account_alias: str | None
    # UserDetailList, GroupDetailList, RoleDetailList, Policies
    authorization_details: dict[str, Any]
    credentials: dict[str, CredentialsRaw]  # by user ARN
    resources: list[ResourceRaw]
    regions: list[str]  # the regions that were collected
    gaps: list[GapRaw]
    # Only with --last-accessed (last_accessed.py): user/role ARN -> the
    # GetServiceLastAccessedDetails response of its COMPLETED job, pages merged (JobId,
    # JobStatus, JobCreationDate, JobCompletionDate, ServicesLastAccessed). A principal that
    # is missing has a gap saying why.
    last_accessed: NotRequired[dict[str, dict[str, Any]]]


class OrgPolicyRaw(TypedDict):
    id: str
    arn: str
    name: str
    type: str  # "SERVICE_CONTROL_POLICY" | "RESOURCE_CONTROL_POLICY"
    aws_managed: bool
    document: dict[str, Any] | str
    targets: list[str]  # root, OU and account ids the policy is attached to


class OrgNodeRaw(TypedDict):
    id: str
    arn: str
    name: str
    parent_id: NotRequired[str | None]  # absent for roots
    email: NotRequired[str]  # accounts
    status: NotRequired[str]  # accounts: ACTIVE, SUSPENDED, ...


class OrganizationRaw(TypedDict):
    organization_id: str
    arn: str
    management_account_id: str
    feature_set: str
    roots: list[OrgNodeRaw]
    ous: list[OrgNodeRaw]
    accounts: list[OrgNodeRaw]
    policies: list[OrgPolicyRaw]
    enabled_policy_types: list[str]  # of the root: SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY
    delegated_administrators: list[dict[str, Any]]  # {"account_id": ..., "services": [...]}


class CollectionRaw(TypedDict):
    format: str  # RAW_FORMAT
    version: int  # RAW_VERSION
    collected_at: str  # ISO 8601 UTC
    collector_version: str
    accounts: list[AccountRaw]
    organization: OrganizationRaw | None
    gaps: list[GapRaw]  # gaps not tied to one account (organization, account enumeration)
