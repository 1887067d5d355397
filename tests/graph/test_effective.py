"""Effective reach: exact items on small inventories (every layer applies), and the compact
form of an administrator's reach."""

from __future__ import annotations

from iamscope.evaluate import Engine
from iamscope.graph.authorizer import Authorizer
from iamscope.graph.effective import EffectiveReach
from iamscope.graph.resource_reach import ResourceReach
from iamscope.model.inventory import Inventory
from iamscope.model.reach import ReachItem
from tests.graph.builders import (
    ACCT,
    ADMIN,
    ADMIN_POLICY,
    account,
    allow,
    arn,
    bucket,
    collection,
    deny,
    doc,
    inventory,
    managed,
    resource,
    role,
    trust,
    user,
)

QUEUE = f"arn:aws:sqs:us-east-1:{ACCT}:orders"


def reach_of(inv: Inventory, principal: str) -> list[ReachItem]:
    effective = EffectiveReach(Authorizer(inv, Engine()))
    return list(effective.reach(inv.principals[principal]).items)


def test_identity_grants_with_a_deny_and_listed_resources() -> None:
    inv = inventory(collection(account(
        users=[user("ana", inline={"work": doc(
            allow("s3:GetObject", "arn:aws:s3:::reports/*"),
            deny("s3:GetObject", "arn:aws:s3:::reports/secret/*"),
            allow(["sqs:SendMessage", "sqs:ReceiveMessage"], QUEUE))})],
        resources=[resource(QUEUE, "aws:sqs:queue", None, "orders")])))
    assert reach_of(inv, arn("user", "ana")) == [
        # some objects (the deny covers part of the pattern, not all of it)
        ReachItem("s3", "Read", "arn:aws:s3:::reports/*", "matching", ("GetObject",)),
        ReachItem("sqs", "Read", QUEUE, "resource", ("ReceiveMessage",)),
        ReachItem("sqs", "Write", QUEUE, "resource", ("SendMessage",)),
    ]


def test_not_action_grants_everything_else() -> None:
    inv = inventory(collection(account(roles=[role(
        "power", trust({"AWS": f"arn:aws:iam::{ACCT}:root"}),
        inline={"power": doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"],
                              "Resource": "*"})})])))
    items = reach_of(inv, arn("role", "power"))
    services = {i.service for i in items}
    assert "iam" not in services and "organizations" not in services
    assert ReachItem("s3", "Read", "arn:aws:s3:::*/*", "any",
                     tuple(sorted(a for i in items if i.service == "s3" and i.access_level ==
                                  "Read" and i.target == "arn:aws:s3:::*/*" for a in i.actions))
                     ) in items
    assert len(services) > 400


def test_boundary_limits_the_grant() -> None:
    boundary = managed(f"arn:aws:iam::{ACCT}:policy/read-only-objects",
                       doc(allow("s3:GetObject")))
    inv = inventory(collection(account(
        users=[user("bo", inline={"s3": doc(allow("s3:*"))}, boundary=boundary["Arn"])],
        policies=[boundary])))
    assert reach_of(inv, arn("user", "bo")) == [
        ReachItem("s3", "Read", f"arn:aws:s3:*:{ACCT}:accesspoint/*/object/*", "any",
                  ("GetObject",)),
        ReachItem("s3", "Read", "arn:aws:s3:::*/*", "any", ("GetObject",)),
    ]


def test_resource_policy_grants_without_identity_allow() -> None:
    policy = doc({"Effect": "Allow", "Principal": {"AWS": arn("user", "cy")},
                  "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"})
    inv = inventory(collection(account(users=[user("cy")],
                                       resources=[bucket("shared", policy)])))
    assert reach_of(inv, arn("user", "cy")) == [
        ReachItem("s3", "Read", "arn:aws:s3:::shared/*", "resource", ("GetObject",))]


def test_an_administrator_reach_is_compact() -> None:
    inv = inventory(collection(account(
        roles=[role("admin", trust({"AWS": f"arn:aws:iam::{ACCT}:root"}),
                    managed=(ADMIN_POLICY,))],
        resources=[resource(QUEUE, "aws:sqs:queue", None, "orders")], policies=[ADMIN])))
    items = reach_of(inv, arn("role", "admin"))
    assert 5_000 < len(items) < 12_000  # not 22,000 actions x every resource
    actions = {(i.service, a) for i in items for a in i.actions}
    assert len(actions) > 20_000
    # Listed resources that "any" already covers are not repeated.
    assert not [i for i in items if i.target == QUEUE]
    assert ReachItem("sqs", "Write", f"arn:aws:sqs:*:{ACCT}:*", "any",
                     tuple(sorted(a for i in items if i.service == "sqs" and
                                  i.access_level == "Write" and i.scope == "any"
                                  for a in i.actions))) in items


def test_on_resource_lists_what_a_principal_can_do_to_it() -> None:
    inv = inventory(collection(account(
        users=[user("di", inline={"q": doc(allow("sqs:*", QUEUE), deny("sqs:DeleteQueue"))})],
        resources=[resource(QUEUE, "aws:sqs:queue", None, "orders")])))
    effective = EffectiveReach(Authorizer(inv, Engine()))
    items = ResourceReach(effective).of(inv.principals[arn("user", "di")], QUEUE)
    actions = {a for i in items for a in i.actions}
    assert "SendMessage" in actions and "PurgeQueue" in actions
    assert "DeleteQueue" not in actions
    assert {i.target for i in items} == {QUEUE}
