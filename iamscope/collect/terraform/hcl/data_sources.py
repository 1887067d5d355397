"""Computed attributes of the data sources the reader can answer without a cloud.

``aws_iam_policy_document`` is built like the provider builds it (``policy_document.py``);
``aws_caller_identity``, ``aws_region`` and ``aws_partition`` answer from the reader's
settings (account, region, partition), and are unknown when the setting is not given.
Other data sources keep only their arguments: their other attributes are unknown.
"""

from __future__ import annotations

from typing import Any, Protocol

from iamscope.collect.terraform.hcl.policy_document import policy_document_values
from iamscope.collect.terraform.resources import Unknown

# https://docs.aws.amazon.com/general/latest/gr/rande.html (DNS suffix per partition)
DNS_SUFFIXES = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn",
                "aws-us-gov": "amazonaws.com", "aws-iso": "c2s.ic.gov",
                "aws-iso-b": "sc2s.sgov.gov"}


class ReaderFacts(Protocol):
    account: str | None
    region: str | None
    partition: str


def computed_values(kind: str, values: dict[str, Any], address: str,
                    facts: ReaderFacts) -> dict[str, Any]:
    if kind == "aws_iam_policy_document":
        return policy_document_values(values, address)
    if kind == "aws_caller_identity":
        account: Any = facts.account or Unknown(
            "the AWS account id is not known (give the reader an account)",
            reference=f"{address}.account_id")
        return {"account_id": account, "id": account,
                "arn": Unknown("the caller's ARN is not known", f"{address}.arn"),
                "user_id": Unknown("the caller's user id is not known", f"{address}.user_id")}
    if kind == "aws_region":
        region: Any = values.get("name") or values.get("region") or facts.region or Unknown(
            "the AWS region is not known (give the reader a region)",
            reference=f"{address}.name")
        return {"name": region, "region": region, "id": region}
    if kind == "aws_partition":
        return {"partition": facts.partition, "id": facts.partition,
                "dns_suffix": DNS_SUFFIXES.get(facts.partition,
                                               Unknown("unknown partition", f"{address}"
                                                       ".dns_suffix")),
                "reverse_dns_prefix": ".".join(reversed(
                    DNS_SUFFIXES.get(facts.partition, "amazonaws.com").split(".")))}
    return {}
