"""S3: every bucket (listed once per account) with its policy, public access block,
object ownership and tags, plus the account-level public access block (S3 Control).

Per-bucket calls go to a client in the bucket's own region. The account-level block is
copied onto every bucket as ``account_public_access_block``.
"""

from __future__ import annotations

from typing import Any

from iamscope.collect.aws.fetching import (
    FAILED,
    Failed,
    Fetch,
    FetchResult,
    field_of,
    resource,
    tag_dict,
)
from iamscope.collect.aws.session import AwsConnection

S3_PERMISSIONS: tuple[str, ...] = (
    "s3:ListAllMyBuckets",
    "s3:GetAccountPublicAccessBlock",
    "s3:GetBucketLocation",
    "s3:GetBucketPolicy",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketTagging",
)
PERMISSIONS: tuple[str, ...] = S3_PERMISSIONS


def fetch_s3(connection: AwsConnection, account_id: str, partition: str,
             region: str | None = None) -> FetchResult:
    fetch = Fetch(connection, "s3", account_id, partition, None)
    buckets, _ = fetch.items("s3 bucket listing", "s3:ListAllMyBuckets", "list_buckets",
                             "Buckets")
    # S3 Control puts the account id in the host name: moto's server cannot serve it
    # (it would need DNS for <account>.127.0.0.1), so tests replay recorded responses.
    account_block = field_of(
        fetch.call("s3 account public access block", "s3:GetAccountPublicAccessBlock",
                   "get_public_access_block", client=fetch.client("s3control"),
                   AccountId=account_id),
        "PublicAccessBlockConfiguration")
    fetch.each(buckets, lambda bucket: _bucket(fetch, bucket, account_block))
    return fetch.finish()


def bucket_region(location: str | None) -> str:
    """``GetBucketLocation``'s answer as a region name (``None`` and ``EU`` are legacy)."""
    if not location:
        return "us-east-1"
    return "eu-west-1" if location == "EU" else location


def _bucket(fetch: Fetch, bucket: dict[str, Any], account_block: Any) -> None:
    name = bucket["Name"]
    arn = f"arn:{fetch.partition}:s3:::{name}"
    scope = f"s3 bucket {arn}"
    region: str | None = bucket.get("BucketRegion")
    if not region:
        location = fetch.call(f"{scope} location", "s3:GetBucketLocation",
                              "get_bucket_location", Bucket=name)
        region = None if location is FAILED else bucket_region(
            field_of(location, "LocationConstraint"))
    client = fetch.client("s3", region)
    policy = field_of(fetch.call(f"{scope} policy", "s3:GetBucketPolicy", "get_bucket_policy",
                                 client=client, Bucket=name), "Policy")
    block = field_of(fetch.call(f"{scope} public access block",
                                "s3:GetBucketPublicAccessBlock", "get_public_access_block",
                                client=client, Bucket=name),
                     "PublicAccessBlockConfiguration")
    controls = fetch.call(f"{scope} ownership controls", "s3:GetBucketOwnershipControls",
                          "get_bucket_ownership_controls", client=client, Bucket=name)
    tagging = field_of(fetch.call(f"{scope} tags", "s3:GetBucketTagging", "get_bucket_tagging",
                                  client=client, Bucket=name), "TagSet")
    fetch.add(resource(arn, "aws:s3:bucket", region, name, policy=policy, tags=tag_dict(tagging),
                       attributes={"public_access_block": block,
                                   "account_public_access_block": account_block,
                                   "object_ownership": _ownership(controls)}))


def _ownership(controls: Any) -> str | Failed | None:
    """The bucket's ``ObjectOwnership`` (``None`` when no ownership controls are set)."""
    rules = field_of(controls, "OwnershipControls", "Rules")
    if rules is FAILED:
        return FAILED
    for rule in rules or []:
        if rule.get("ObjectOwnership"):
            return str(rule["ObjectOwnership"])
    return None
