"""Error classification: which botocore errors are gaps (and which kind), which mean "no
policy", and which are not AWS errors at all."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from iamscope.collect.aws.errors import ABSENT, classify, error_code, unexpected_gap


def client_error(code: str, operation: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} happened"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


def gap(exc: Exception, service: str = "s3", region: str | None = "eu-west-1",
        scope: str = "thing", permission: str | None = "svc:Action") -> dict | None:
    outcome = classify(exc, service=service, scope=scope, permission=permission,
                       account="111122223333", region=region)
    assert outcome.absent is (outcome.gap is None)
    return outcome.gap


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException",
                                  "UnauthorizedOperation", "AuthorizationError", "Forbidden"])
def test_denied_codes_name_the_permission(code: str) -> None:
    assert gap(client_error(code, "GetThing", 403)) == {
        "scope": "thing", "reason": f"{code}: permission missing", "permission": "svc:Action",
        "account": "111122223333", "region": "eu-west-1"}


def test_unknown_code_with_http_403_is_a_missing_permission() -> None:
    assert gap(client_error("SomethingNew", "GetThing", 403))["reason"] == (
        "SomethingNew: permission missing")


@pytest.mark.parametrize("code", ["OptInRequired", "InvalidClientTokenId",
                                  "UnrecognizedClientException", "AuthFailure"])
def test_region_not_enabled(code: str) -> None:
    assert gap(client_error(code, "ListThings", 403)) == {
        "scope": "region eu-west-1", "reason": "region not enabled", "permission": None,
        "account": "111122223333", "region": "eu-west-1"}


def test_rejected_credentials_on_a_global_endpoint_are_not_a_region() -> None:
    assert gap(client_error("InvalidClientTokenId", "GetAccountAuthorizationDetails", 403),
               service="iam", region=None) == {
        "scope": "thing", "reason": "InvalidClientTokenId: credentials rejected",
        "permission": "svc:Action", "account": "111122223333", "region": None}


def test_service_not_enabled() -> None:
    assert gap(client_error("SubscriptionRequiredException", "ListThings"),
               service="glue") == {
        "scope": "service glue in eu-west-1", "reason":
        "SubscriptionRequiredException: service not enabled", "permission": None,
        "account": "111122223333", "region": "eu-west-1"}


@pytest.mark.parametrize("code", ["Throttling", "ThrottlingException", "RequestLimitExceeded",
                                  "TooManyRequestsException", "SlowDown"])
def test_throttling_after_retries(code: str) -> None:
    assert gap(client_error(code, "ListThings"))["reason"] == f"{code}: throttled after retries"


def test_unreachable_endpoint() -> None:
    found = gap(EndpointConnectionError(endpoint_url="https://glue.xx-east-1.amazonaws.com"))
    assert found == {"scope": "thing", "reason": "EndpointConnectionError: endpoint unreachable",
                     "permission": "svc:Action", "account": "111122223333",
                     "region": "eu-west-1"}
    assert gap(ReadTimeoutError(endpoint_url="https://x"))["reason"] == (
        "ReadTimeoutError: endpoint unreachable")


def test_other_errors_keep_code_and_message() -> None:
    assert gap(client_error("InternalFailure", "ListThings", 500))["reason"] == (
        "InternalFailure: InternalFailure happened")


@pytest.mark.parametrize(("service", "operation", "code"), [
    ("s3", "GetBucketPolicy", "NoSuchBucketPolicy"),
    ("s3", "GetPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration"),
    ("s3", "GetBucketOwnershipControls", "OwnershipControlsNotFoundError"),
    ("s3", "GetBucketTagging", "NoSuchTagSet"),
    ("s3control", "GetPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration"),
    ("lambda", "GetPolicy", "ResourceNotFoundException"),
    ("lambda", "GetFunctionUrlConfig", "ResourceNotFoundException"),
    ("ecr", "GetRepositoryPolicy", "RepositoryPolicyNotFoundException"),
    ("dynamodb", "GetResourcePolicy", "PolicyNotFoundException"),
    ("iam", "GetLoginProfile", "NoSuchEntity"),
])
def test_not_found_codes_mean_no_policy(service: str, operation: str, code: str) -> None:
    outcome = classify(client_error(code, operation, 404), service=service, scope="x",
                       permission="p", account=None, region=None)
    assert outcome.absent is True
    assert outcome.gap is None
    assert code in ABSENT[(service, operation)]


def test_not_found_is_absent_only_for_its_operation() -> None:
    # A function that vanished between listing and reading is a gap, not "no policy".
    assert gap(client_error("ResourceNotFoundException", "GetFunctionConfiguration", 404),
               service="lambda")["reason"].startswith("ResourceNotFoundException")
    assert gap(client_error("NoSuchEntity", "GetPolicy", 404), service="iam") is not None


def test_non_aws_errors_are_raised() -> None:
    with pytest.raises(KeyError):
        classify(KeyError("KeyId"), service="kms", scope="x", permission="p", account=None,
                 region=None)
    assert error_code(KeyError("x")) is None


def test_unexpected_gap_names_the_fetcher() -> None:
    assert unexpected_gap("glue", RuntimeError("boom"), account="1", region="us-east-2") == {
        "scope": "fetcher glue in us-east-2", "reason": "unexpected error RuntimeError: boom",
        "permission": None, "account": "1", "region": "us-east-2"}
    assert unexpected_gap("iam", RuntimeError(), account="1", region=None)["scope"] == (
        "fetcher iam")
