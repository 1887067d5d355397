"""A connection for whole-collection tests against the moto server, filling moto's gaps.

Two calls of the collector cannot be served by the moto server at all:

* S3 Control ``GetPublicAccessBlock`` puts the account id in the host name
  (``<account>.127.0.0.1``), which does not resolve;
* SSM ``DescribeInstanceInformation`` is not implemented (HTTP 500).

``MotoConnection`` answers those two through botocore's documented ``before-call`` event
(the mechanism ``botocore.stub.Stubber`` uses): "no account-level block" and "no managed
instances", as real AWS would for a fresh account. With ``sign_payload`` it also adds the
``X-Amz-Content-SHA256`` header to Lambda requests: moto's IAM authentication recomputes
the signature of a body-less GET from its parsed parameters instead of the empty body and
rejects every Lambda read with ``SignatureDoesNotMatch``; with the header it uses the
signed payload hash, as AWS does. Everything else goes to the moto server unchanged.

The subclass survives ``assume``: ``dataclasses.replace`` keeps the class, and the
handlers are registered on every session before its first client is made.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse

from iamscope.collect.aws.session import AwsConnection

UNSERVED = {
    "before-call.s3-control.GetPublicAccessBlock": (
        404, {"Error": {"Code": "NoSuchPublicAccessBlockConfiguration",
                        "Message": "The public access block configuration was not found"}}),
    "before-call.ssm.DescribeInstanceInformation": (200, {"InstanceInformationList": []}),
}


def _answer(status: int, body: dict[str, Any]) -> Any:
    def handler(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        parsed = {**body, "ResponseMetadata": {"HTTPStatusCode": status}}
        return AWSResponse("http://moto.invalid", status, {}, None), parsed

    return handler


def _sign_payload(request: Any, **_: Any) -> None:
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()


@dataclass
class MotoConnection(AwsConnection):
    sign_payload: bool = False

    def client(self, service: str, region: str | None = None) -> Any:
        events = self.session().events
        for event, (status, body) in UNSERVED.items():
            events.register(event, _answer(status, body), unique_id=f"iamscope-test-{event}")
        if self.sign_payload:
            events.register("before-sign.lambda", _sign_payload,
                            unique_id="iamscope-test-lambda-payload")
        return super().client(service, region)
