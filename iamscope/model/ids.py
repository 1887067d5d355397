"""Canonical identifiers: AWS ARNs and the identity of a caller.

An ARN has six colon-separated fields (``arn:partition:service:region:account:resource``);
the resource field may itself contain colons. See the IAM User Guide, "IAM identifiers"
and the AWS General Reference, "Amazon Resource Names (ARNs)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True, slots=True)
class Arn:
    """A parsed ARN. ``resource`` is everything after the fifth colon."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse_arn(text: str) -> Arn | None:
    """Parse ``text`` as an ARN, or return None when it does not have six fields."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def is_account_id(text: str) -> bool:
    return bool(ACCOUNT_ID.match(text))


class CallerKind(Enum):
    """What kind of identity signs a request (IAM User Guide, "AWS JSON policy elements:
    Principal")."""

    IAM_USER = "iam-user"
    IAM_ROLE = "iam-role"  # a session of the role whose session name is unknown
    ROLE_SESSION = "role-session"  # arn:aws:sts::<acct>:assumed-role/<role>/<session>
    FEDERATED_USER = "federated-user"  # arn:aws:sts::<acct>:federated-user/<name>
    ROOT = "root"  # arn:aws:iam::<acct>:root
    SERVICE = "service"  # lambda.amazonaws.com
    WEB_IDENTITY = "web-identity"  # an OIDC/SAML/Cognito identity calling AssumeRoleWith*
    ANONYMOUS = "anonymous"  # an unsigned request


# Service principals are host names under these domains (IAM User Guide, "AWS service
# principals"); identity providers that sign AssumeRoleWithWebIdentity calls are not
# services even when they live under amazonaws.com.
SERVICE_PRINCIPAL_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".amazon.com")
WEB_IDENTITY_PROVIDERS = frozenset({
    "cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com",
    "www.amazon.com",
})
IAM_PRINCIPAL_KINDS = frozenset({
    CallerKind.IAM_USER, CallerKind.IAM_ROLE, CallerKind.ROLE_SESSION, CallerKind.FEDERATED_USER,
})
SERVICE_LINKED_ROLE_PATH = "/aws-service-role/"
SERVICE_LINKED_ROLE_PREFIX = "AWSServiceRoleFor"


@dataclass(frozen=True, slots=True)
class Caller:
    """The identity behind a request, with everything policy matching needs.

    ``role_arn`` is the role ARN including its path for roles and role sessions (the session
    ARN carries no path); for a federated user it is the ARN of the IAM user who called
    GetFederationToken, when known.
    """

    kind: CallerKind
    arn: str  # the principal exactly as it signs requests ("anonymous" for unsigned calls)
    account: str | None
    partition: str = "aws"
    name: str | None = None  # user name, role name or federated-user name
    session_name: str | None = None
    role_arn: str | None = None
    path: str | None = None

    @property
    def root_arn(self) -> str | None:
        if self.account is None:
            return None
        return f"arn:{self.partition}:iam::{self.account}:root"

    @property
    def is_iam_principal(self) -> bool:
        """Users, roles, role sessions and federated users carry identity policies."""
        return self.kind in IAM_PRINCIPAL_KINDS

    @property
    def is_service_linked_role(self) -> bool:
        """Service-linked roles live under /aws-service-role/ and are named AWSServiceRoleFor*
        (IAM User Guide, "Using service-linked roles")."""
        if self.kind not in (CallerKind.IAM_ROLE, CallerKind.ROLE_SESSION):
            return False
        if self.path is not None and self.path.startswith(SERVICE_LINKED_ROLE_PATH):
            return True
        return bool(self.name and self.name.startswith(SERVICE_LINKED_ROLE_PREFIX))


class CallerParseError(ValueError):
    """The principal string is not a caller iamscope understands."""


def _split_path(resource_tail: str) -> tuple[str, str]:
    """Split ``/path/to/name`` (after the type prefix) into (path, name)."""
    slash = resource_tail.rfind("/")
    if slash < 0:
        return "/", resource_tail
    return "/" + resource_tail[: slash + 1], resource_tail[slash + 1 :]


@lru_cache(maxsize=65536)
def parse_caller(principal: str, *, role_arn: str | None = None) -> Caller:
    """Classify a request principal string.

    Accepts an IAM user or role ARN, an assumed-role session ARN, a federated-user ARN, an
    account root ARN, a service principal (``*.amazonaws.com`` or similar host name), an
    identity-provider principal for ``AssumeRoleWith*`` calls (``cognito-identity.amazonaws.com``,
    an OIDC or SAML provider ARN), or the literal ``anonymous``.
    """
    text = principal.strip()
    if not text:
        raise CallerParseError("the principal is empty")
    if text == "anonymous" or text == "*":
        return Caller(CallerKind.ANONYMOUS, "anonymous", None)
    arn = parse_arn(text)
    if arn is None:
        if "." in text and " " not in text:
            host = text.lower()
            if host.endswith(SERVICE_PRINCIPAL_SUFFIXES) and host not in WEB_IDENTITY_PROVIDERS:
                return Caller(CallerKind.SERVICE, host, None, name=host)
            # An identity provider calling AssumeRoleWithWebIdentity (IAM User Guide,
            # id_roles_create_for-idp_oidc): matched by "Federated" principal entries.
            return Caller(CallerKind.WEB_IDENTITY, host, None, name=host)
        raise CallerParseError(
            f"{text!r} is not an ARN, a service principal such as lambda.amazonaws.com, "
            "or 'anonymous'"
        )
    account = arn.account or None
    if arn.service == "iam":
        if arn.resource == "root":
            return Caller(CallerKind.ROOT, text, account, arn.partition)
        if arn.resource.startswith("user/"):
            path, name = _split_path(arn.resource[len("user/") :])
            return Caller(CallerKind.IAM_USER, text, account, arn.partition, name=name, path=path)
        if arn.resource.startswith("role/"):
            path, name = _split_path(arn.resource[len("role/") :])
            return Caller(
                CallerKind.IAM_ROLE, text, account, arn.partition, name=name, path=path,
                role_arn=text,
            )
        if arn.resource.startswith(("saml-provider/", "oidc-provider/")):
            return Caller(CallerKind.WEB_IDENTITY, text, account, arn.partition, name=text)
    if arn.service == "sts":
        if arn.resource.startswith("assumed-role/"):
            pieces = arn.resource.split("/", 2)
            if len(pieces) != 3 or not pieces[1] or not pieces[2]:
                raise CallerParseError(
                    f"{text!r}: an assumed-role ARN is assumed-role/<role-name>/<session-name>"
                )
            role_name, session = pieces[1], pieces[2]
            role = role_arn or f"arn:{arn.partition}:iam::{arn.account}:role/{role_name}"
            role_path = "/"
            parsed_role = parse_arn(role)
            if parsed_role is not None and parsed_role.resource.startswith("role/"):
                role_path, _ = _split_path(parsed_role.resource[len("role/") :])
            return Caller(
                CallerKind.ROLE_SESSION, text, account, arn.partition, name=role_name,
                session_name=session, role_arn=role, path=role_path,
            )
        if arn.resource.startswith("federated-user/"):
            name = arn.resource[len("federated-user/") :]
            return Caller(
                CallerKind.FEDERATED_USER, text, account, arn.partition, name=name,
                role_arn=role_arn,
            )
    raise CallerParseError(
        f"{text!r} is not a principal that can sign a request (expected an IAM user, role, "
        "assumed-role session, federated user or account root ARN)"
    )
