"""Unknown values in policy documents never reduce the access computed
(iamscope/collect/terraform/documents.py)."""

from __future__ import annotations

import pytest

from iamscope.collect.terraform.documents import UnknownDocument, conservative_document
from iamscope.collect.terraform.policy_document import render_policy_document
from iamscope.collect.terraform.resources import Unknown

U = Unknown("known after apply")


def test_unknown_resource_in_allow_becomes_star():
    document, notes = conservative_document({"Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [U, "arn:aws:s3:::a"]}]})
    assert document["Statement"][0]["Resource"] == ["*", "arn:aws:s3:::a"]
    assert notes


def test_deny_with_unknown_is_dropped():
    document, _ = conservative_document({"Statement": [
        {"Effect": "Deny", "Action": "*", "Resource": U},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    assert [s["Effect"] for s in document["Statement"]] == ["Allow"]


def test_unknown_condition_value_in_allow_drops_the_condition():
    document, _ = conservative_document({"Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws:iam::1:root"},
         "Condition": {"StringEquals": {"sts:ExternalId": U}}}]})
    assert "Condition" not in document["Statement"][0]


def test_unknown_principal_in_allow_becomes_star():
    document, _ = conservative_document({"Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": [U]}}]})
    assert document["Statement"][0]["Principal"] == "*"


def test_unknown_not_action_item_is_dropped_and_empty_becomes_action_star():
    document, _ = conservative_document({"Statement": [
        {"Effect": "Allow", "NotAction": [U], "Resource": "*"}]})
    assert document["Statement"][0]["Action"] == "*"
    assert "NotAction" not in document["Statement"][0]


@pytest.mark.parametrize("document", [U, {"Statement": U}, {"Statement": [U]}])
def test_wholly_unknown_document_or_statement_is_not_guessed(document):
    with pytest.raises(UnknownDocument):
        conservative_document(document)


def test_policy_document_arguments_of_the_wrong_type_are_widened_not_trusted():
    """A deferred aws_iam_policy_document in a hand-edited or corrupt plan: arguments whose
    type is not the provider schema's are unknowns, read conservatively."""
    rendered = render_policy_document({"version": [1], "statement": [
        {"effect": "Allow", "actions": 5, "resources": ["arn:aws:s3:::b"],
         "principals": True, "condition": [{"test": None, "variable": "aws:x",
                                           "values": ["a"]}]}]})
    document, notes = conservative_document(rendered)
    assert document == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b", "Principal": "*"}]}
    assert len(notes) == 4


def test_policy_document_sources_of_the_wrong_type_are_a_gap():
    rendered = render_policy_document({"source_policy_documents": 5, "statement": []})
    with pytest.raises(UnknownDocument):
        conservative_document(rendered)


def test_deferred_policy_document_is_rendered_as_the_provider_does():
    """A plan's deferred aws_iam_policy_document is rendered like the HCL one: conditions
    with the same test and variable accumulate their values, and ``&{`` becomes ``${``
    (Terraform Registry, aws_iam_policy_document: "condition", "Context Variable
    Interpolation")."""
    rendered = render_policy_document({"statement": [{
        "actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/&{aws:username}/*"],
        "condition": [{"test": "StringEquals", "variable": "aws:PrincipalTag/team",
                       "values": ["a"]},
                      {"test": "StringEquals", "variable": "aws:PrincipalTag/team",
                       "values": ["b"]}]}]})
    document, _ = conservative_document(rendered)
    [statement] = document["Statement"]
    assert statement["Resource"] == "arn:aws:s3:::b/${aws:username}/*"
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalTag/team": ["a", "b"]}}
