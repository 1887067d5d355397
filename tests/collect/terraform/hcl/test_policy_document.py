"""``data "aws_iam_policy_document"`` built as the AWS provider builds it.

Reference: terraform-provider-aws ``internal/service/iam/policy_document_data_source.go``
and ``policy_model.go`` (set ordering, principal "*" normalisation, merge by Sid).
"""

from __future__ import annotations

import json

from iamscope.collect.terraform.hcl import read_hcl
from iamscope.collect.terraform.resources import Unknown

from .conftest import FIXTURES, by_address

ADMIN = "arn:aws:iam::111122223333:role/admin"
BREAK_GLASS = "arn:aws:iam::111122223333:role/break-glass"
DENY_ALL_BUT_GET = {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*",
                    "NotPrincipal": {"AWS": [BREAK_GLASS, ADMIN]}}
READERS = [
    {"Sid": "ReaderAudit", "Effect": "Allow", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::example-data/audit/*",
     "Principal": {"AWS": "arn:aws:iam::111122223333:role/audit"}},
    {"Sid": "ReaderOps", "Effect": "Allow", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::example-data/ops/*",
     "Principal": {"AWS": "arn:aws:iam::111122223333:role/ops"}},
]


def _documents():
    return by_address(read_hcl(FIXTURES / "policy_document"))


def test_statements_sets_conditions_and_dynamic_blocks():
    document = json.loads(_documents()["data.aws_iam_policy_document.base"].values["json"])
    assert document == {"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow",
         # sets: de-duplicated, reverse-sorted; &{...} becomes a policy variable ${...}
         "Action": ["s3:ListBucket", "s3:GetObject"],
         "Resource": ["arn:aws:s3:::example-data/${aws:username}/*",
                      "arn:aws:s3:::example-data"],
         "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         # two condition blocks with the same test and variable accumulate their values
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": ["o-abc123", "o-def456"]}}},
        DENY_ALL_BUT_GET, *READERS]}


def test_json_text_is_indented_like_the_provider_and_minified_json_is_compact():
    values = _documents()["data.aws_iam_policy_document.base"].values
    assert values["json"].startswith('{\n  "Version": "2012-10-17",\n  "Statement": [\n')
    assert json.loads(values["minified_json"]) == json.loads(values["json"])
    assert "\n" not in values["minified_json"]


def test_star_principal_and_unknown_resource_stay_inside_the_document():
    document = _documents()["data.aws_iam_policy_document.public"].values["json"]
    assert document == {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject",
        "Resource": Unknown("a string built from aws_s3_bucket.data.arn"),
        "Principal": "*"}]}


def test_source_and_override_documents_merge_by_sid():
    document = json.loads(_documents()["data.aws_iam_policy_document.merged"].values["json"])
    assert document == {"Version": "2012-10-17", "Statement": [
        # the override document's "Read" replaces the source document's "Read" in place
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::example-data/public/*", "Principal": "*"},
        DENY_ALL_BUT_GET, *READERS,
        {"Sid": "Extra", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::example-data/in/*"}]}


def test_a_resource_policy_receives_the_document_through_the_json_reference():
    documents = _documents()
    policy = documents["aws_s3_bucket_policy.data"].values["policy"]
    assert policy == documents["data.aws_iam_policy_document.merged"].values["json"]


def test_dynamic_statements_over_an_unknown_collection_make_the_document_unknown():
    reading = read_hcl(FIXTURES / "policy_document")
    values = by_address(reading)["data.aws_iam_policy_document.unknown_statements"].values
    assert values["json"] == Unknown(
        "dynamic statement blocks: for_each is not known (aws_s3_bucket.data.tags_all is "
        "computed by the provider)",
        reference="data.aws_iam_policy_document.unknown_statements.json")
    assert reading.warnings == (
        "main.tf:89: dynamic 'statement': for_each is not known statically "
        "(aws_s3_bucket.data.tags_all is computed by the provider); its blocks are unknown",)


def test_principal_types_merge_and_aws_star_is_kept(read_text):
    reading = read_text('''
data "aws_iam_policy_document" "trust" {
  version   = "2012-10-17"
  policy_id = "trust"
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"]
    }
    principals {
      type        = "Federated"
      identifiers = ["cognito-identity.amazonaws.com"]
    }
    condition {
      test     = "Bool"
      variable = "aws:MultiFactorAuthPresent"
      values   = ["true"]
    }
  }
}
''')
    document = json.loads(reading.resources[0].values["json"])
    assert document == {"Version": "2012-10-17", "Id": "trust", "Statement": [{
        "Effect": "Allow", "Action": ["sts:TagSession", "sts:AssumeRole"],
        "Principal": {
            "AWS": ["*", "arn:aws:iam::444455556666:root", "arn:aws:iam::111122223333:root"],
            "Federated": "cognito-identity.amazonaws.com"},
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}


def test_unknown_source_document_makes_the_document_unknown(read_text):
    reading = read_text('''
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = "{}"
}
data "aws_iam_policy_document" "d" {
  source_policy_documents = [aws_iam_policy.p.policy_json]
}
''')
    value = by_address(reading)["data.aws_iam_policy_document.d"].values["json"]
    assert isinstance(value, Unknown)
    assert value.reference == "data.aws_iam_policy_document.d.json"
    assert value.reason == ("source_policy_documents[0] is not known "
                            "(aws_iam_policy.p.policy_json)")


def test_invalid_source_json_is_an_unknown_document_not_an_exception(read_text):
    reading = read_text('''
data "aws_iam_policy_document" "d" {
  source_policy_documents = ["{not json"]
}
''')
    value = reading.resources[0].values["json"]
    assert value == Unknown("data.aws_iam_policy_document.d: source_policy_documents[0] is not "
                            "valid JSON (Expecting property name enclosed in double quotes)",
                            reference="data.aws_iam_policy_document.d.json")
