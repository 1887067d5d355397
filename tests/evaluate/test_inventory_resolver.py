"""What the resolver takes from an inventory for one request, rule by rule."""

from __future__ import annotations

import pytest

from iamscope.collect.aws.normalize import normalize_collection
from iamscope.errors import RequestError
from iamscope.evaluate import Decision, Engine, Request
from iamscope.evaluate.inventory_layers import InventoryResolver
from tests.collect.test_normalize import ACCT, raw_collection


@pytest.fixture(scope="module")
def resolver() -> InventoryResolver:
    return InventoryResolver(normalize_collection(raw_collection()).inventory)


def test_session_resolves_to_role_with_path_and_its_tags(resolver: InventoryResolver) -> None:
    request = Request.create(f"arn:aws:sts::{ACCT}:assumed-role/ingest/job-7",
                             "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCT}:ingest")
    resolved = resolver.resolve(request)
    assert resolved.principal is not None
    assert resolved.principal.id == f"arn:aws:iam::{ACCT}:role/service/ingest"
    assert resolved.request.principal_arn == f"arn:aws:iam::{ACCT}:role/service/ingest"
    assert resolved.request.context["aws:principaltag/env"] == "prod"
    assert resolved.request.context["aws:principalorgid"] == "o-exampleorg"
    assert resolved.request.context["aws:principalorgpaths"] == ("o-exampleorg/r-abcd/ou-abcd-prod/",)
    assert [p.id for p in resolved.layers.identity] == [
        f"arn:aws:iam::{ACCT}:role/service/ingest/inline/queue"]
    assert Engine().decide(resolved.request, resolved.layers) is Decision.ALLOW


def test_user_gets_group_policies_boundary_and_scp_chain(resolver: InventoryResolver) -> None:
    request = Request.create(f"arn:aws:iam::{ACCT}:user/eng/alice", "lambda:UpdateFunctionCode",
                             f"arn:aws:lambda:us-east-1:{ACCT}:function:f")
    resolved = resolver.resolve(request)
    assert [p.id for p in resolved.layers.identity] == [
        f"arn:aws:iam::{ACCT}:user/eng/alice/inline/read-reports",
        f"arn:aws:iam::{ACCT}:policy/deploy"]
    assert resolved.layers.boundary is not None
    assert resolved.layers.boundary.id == f"arn:aws:iam::{ACCT}:policy/dev-boundary"
    assert len(resolved.layers.scps) == 3  # root, prod OU, account
    assert Engine().decide(resolved.request, resolved.layers) is Decision.ALLOW
    leave = Request.create(f"arn:aws:iam::{ACCT}:user/eng/alice",
                           "organizations:LeaveOrganization", "*")
    evaluation = Engine().evaluate(*_pair(resolver.resolve(leave)))
    assert evaluation.decision is Decision.EXPLICIT_DENY  # the OU's SCP


def _pair(resolved):
    return resolved.request, resolved.layers


def test_object_request_uses_bucket_policy_and_rcp(resolver: InventoryResolver) -> None:
    tls = Request.create("anonymous", "s3:GetObject", "arn:aws:s3:::reports-111122223333/a.csv",
                         context={"aws:SecureTransport": "true"})
    resolved = resolver.resolve(tls)
    assert resolved.layers.resource is not None
    assert resolved.layers.resource.id == "arn:aws:s3:::reports-111122223333/policy"
    assert resolved.request.resource_account == ACCT
    assert resolved.request.context["aws:resourcetag/data"] == "public"
    assert Engine().decide(*_pair(resolved)) is Decision.ALLOW
    plain = Request.create("anonymous", "s3:GetObject", "arn:aws:s3:::reports-111122223333/a.csv",
                           context={"aws:SecureTransport": "false"})
    assert Engine().decide(*_pair(resolver.resolve(plain))) is Decision.EXPLICIT_DENY


def test_trust_policy_for_assume_role(resolver: InventoryResolver) -> None:
    request = Request.create("arn:aws:iam::444455556666:root", "sts:AssumeRole",
                             f"arn:aws:iam::{ACCT}:role/service/ingest",
                             context={"sts:ExternalId": "ext-42"})
    resolved = resolver.resolve(request)
    assert resolved.layers.resource is not None
    assert resolved.layers.resource.id == f"arn:aws:iam::{ACCT}:role/service/ingest/trust"


def test_management_account_is_not_bound_by_scps(resolver: InventoryResolver) -> None:
    request = Request.create("arn:aws:iam::777788889999:root", "s3:ListAllMyBuckets", "*")
    assert resolver.resolve(request).layers.scps == ()


def test_unknown_iam_principal_is_a_clear_error(resolver: InventoryResolver) -> None:
    with pytest.raises(RequestError, match=r"is not in the inventory \(its account is"):
        resolver.resolve(Request.create(f"arn:aws:iam::{ACCT}:user/mallory", "s3:GetObject", "*"))
    with pytest.raises(RequestError, match="give its identity policies with --policy"):
        resolver.resolve(Request.create("arn:aws:iam::444455556666:user/x", "s3:GetObject", "*"))


def test_request_context_wins_over_inventory_facts(resolver: InventoryResolver) -> None:
    request = Request.create(f"arn:aws:sts::{ACCT}:assumed-role/ingest/s", "sqs:SendMessage",
                             "*", context={"aws:PrincipalTag/env": "dev"})
    assert resolver.resolve(request).request.context["aws:principaltag/env"] == "dev"


def test_unreadable_scp_leaves_the_chain_out_not_denying() -> None:
    raw = raw_collection()
    raw["organization"]["policies"][1]["document"] = "{broken"
    inventory = normalize_collection(raw).inventory
    assert any("p-denyleave" in g.scope for g in inventory.gaps)
    resolved = InventoryResolver(inventory).resolve(
        Request.create(f"arn:aws:iam::{ACCT}:user/eng/alice", "s3:GetObject",
                       "arn:aws:s3:::reports-111122223333/x"))
    assert resolved.layers.scps == ()
    assert any("SCP chain of account 111122223333 is incomplete" in n for n in resolved.notes)
