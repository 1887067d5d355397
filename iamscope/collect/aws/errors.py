"""Turn botocore errors into coverage gaps, or into "this resource has no such policy".

Every AWS call a fetcher makes goes through ``classify``. Three outcomes:

* **absent** — the error code is the API's way of saying "nothing configured" for that
  operation (``NoSuchBucketPolicy`` on S3 ``GetBucketPolicy``, ``ResourceNotFoundException``
  on Lambda ``GetPolicy``, ...). That is a fact, not a gap: the policy is ``None``.
* **gap** — anything else the service or the network answered: a missing permission, a
  region that is not enabled, a service that is not subscribed, throttling that outlived the
  retries, an unreachable endpoint, an unexpected error. A gap is never read as "no access".
* anything that is not a botocore service or connection error is re-raised: it is a bug or
  a broken environment, and the account collector turns it into a gap naming the fetcher.

botocore is imported lazily so that importing iamscope does not need the ``aws`` extra.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iamscope.collect.aws.raw import GapRaw

DENIED = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
    "AuthorizationErrorException", "Forbidden", "UnauthorizedException", "AllAccessDisabled",
})
# A regional endpoint rejecting otherwise valid credentials: the region is not enabled
# (opt-in regions) for this account. On a global endpoint the same codes mean the
# credentials themselves are rejected.
REGION_DISABLED = frozenset({
    "OptInRequired", "InvalidClientTokenId", "UnrecognizedClientException", "AuthFailure",
})
SERVICE_DISABLED = frozenset({
    "SubscriptionRequiredException", "NotSignedUp", "UnknownOperationException",
    "InvalidAction",
})
# botocore's own list (retries/standard.py): reaching us means the retries ran out.
THROTTLED = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException",
})

# (service, operation) -> error codes that mean "not configured": the value is None.
# Secrets Manager is not here: GetResourcePolicy on a secret without a policy succeeds and
# simply omits ``ResourcePolicy``.
ABSENT: dict[tuple[str, str], frozenset[str]] = {
    ("s3", "GetBucketPolicy"): frozenset({"NoSuchBucketPolicy"}),
    ("s3", "GetPublicAccessBlock"): frozenset({"NoSuchPublicAccessBlockConfiguration"}),
    ("s3", "GetBucketOwnershipControls"): frozenset({"OwnershipControlsNotFoundError"}),
    ("s3", "GetBucketTagging"): frozenset({"NoSuchTagSet", "NoSuchTagSetError"}),
    ("s3control", "GetPublicAccessBlock"): frozenset({"NoSuchPublicAccessBlockConfiguration"}),
    ("lambda", "GetPolicy"): frozenset({"ResourceNotFoundException"}),
    ("lambda", "GetFunctionUrlConfig"): frozenset({"ResourceNotFoundException"}),
    ("ecr", "GetRepositoryPolicy"): frozenset({"RepositoryPolicyNotFoundException"}),
    ("dynamodb", "GetResourcePolicy"): frozenset({"PolicyNotFoundException"}),
    ("iam", "GetLoginProfile"): frozenset({"NoSuchEntity"}),
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a failed call means: ``absent`` (value is None) or a ``gap``."""

    absent: bool
    gap: GapRaw | None = None


def error_code(exc: BaseException) -> str | None:
    """The service error code of a botocore ``ClientError`` (None for other errors)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    error = response.get("Error") or {}
    code = error.get("Code")
    if code:
        return str(code)
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    return str(status) if status else None


def http_status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    return int(status) if status else None


def is_aws_error(exc: BaseException) -> bool:
    """A service answer (``ClientError``) or a connection failure: worth a gap."""
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as EndpointError

    return isinstance(exc, ClientError | EndpointError | HTTPClientError)


def is_absent(service: str, exc: BaseException) -> bool:
    """True when ``exc`` is the operation's way of saying "none configured"."""
    operation = getattr(exc, "operation_name", None)
    codes = ABSENT.get((service, str(operation)), frozenset())
    return error_code(exc) in codes


def classify(exc: BaseException, *, service: str, scope: str, permission: str | None,
             account: str | None, region: str | None) -> Outcome:
    """Classify one botocore error raised by a call to ``service`` (re-raise others)."""
    if not is_aws_error(exc):
        raise exc
    if is_absent(service, exc):
        return Outcome(absent=True)
    return Outcome(absent=False, gap=gap_for(exc, service=service, scope=scope,
                                             permission=permission, account=account,
                                             region=region))


def gap_for(exc: BaseException, *, service: str, scope: str, permission: str | None,
            account: str | None, region: str | None) -> GapRaw:
    code = error_code(exc)
    if code is None:
        reason = f"{type(exc).__name__}: endpoint unreachable"
        return _gap(scope, reason, permission, account, region)
    if code in DENIED or (code not in REGION_DISABLED and http_status(exc) == 403):
        return _gap(scope, f"{code}: permission missing", permission, account, region)
    if code in REGION_DISABLED:
        if region is not None:
            # One reason for every service, so the account collector keeps a single gap.
            return _gap(f"region {region}", "region not enabled", None, account, region)
        return _gap(scope, f"{code}: credentials rejected", permission, account, region)
    if code in SERVICE_DISABLED:
        where = f"service {service}" + (f" in {region}" if region else "")
        return _gap(where, f"{code}: service not enabled", None, account, region)
    if code in THROTTLED:
        return _gap(scope, f"{code}: throttled after retries", permission, account, region)
    return _gap(scope, f"{code}: {_message(exc)}", permission, account, region)


def unexpected_gap(name: str, exc: BaseException, *, account: str | None,
                   region: str | None) -> GapRaw:
    """The gap for a fetcher that raised something other than an AWS error."""
    where = f"fetcher {name}" + (f" in {region}" if region else "")
    detail = str(exc)[:200]
    reason = f"unexpected error {type(exc).__name__}" + (f": {detail}" if detail else "")
    return _gap(where, reason, None, account, region)


def _message(exc: Any) -> str:
    error = (getattr(exc, "response", None) or {}).get("Error") or {}
    message = " ".join(str(error.get("Message") or "unexpected error").split())
    if message.lower().startswith(("<!doctype", "<html")):
        # An endpoint answered with an HTML error page (a proxy, or an emulator that does
        # not implement the API): keep the fact, not the page.
        return "the endpoint returned an HTML error page (API not supported there?)"
    return message[:200]


def _gap(scope: str, reason: str, permission: str | None, account: str | None,
         region: str | None) -> GapRaw:
    return {"scope": scope, "reason": reason, "permission": permission, "account": account,
            "region": region}
