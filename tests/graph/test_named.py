"""Resource policies that cannot reach a caller are decided as if absent (graph.named): the
shortcut must give exactly the answers, in the same order, of asking the engine with every
policy (IAM User Guide, "Policy evaluation logic" and "AWS JSON policy elements: Principal":
a statement whose Principal does not match the caller neither allows nor denies)."""

from __future__ import annotations

import pytest

from iamscope.evaluate import Engine
from iamscope.evaluate.principals import GrantReach
from iamscope.graph.authorizer import Authorizer
from iamscope.graph.blast import BlastAnalysis
from iamscope.graph.effective import EffectiveReach
from iamscope.graph.named import NamedIndex, caller_keys, policy_keys
from iamscope.graph.sensitive import SensitiveReach
from iamscope.model.ids import parse_caller
from iamscope.model.inventory import Inventory
from iamscope.model.policy import PolicyKind
from iamscope.policy.parse import parse_policy
from tests.graph.builders import (
    ACCT,
    OTHER,
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

KEY_OPS = f"arn:aws:kms:us-east-1:{ACCT}:key/ops-only"
KEY_IAM = f"arn:aws:kms:us-east-1:{ACCT}:key/delegated"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCT}:jobs"


def _grant(principal: object, action: object = "s3:GetObject", effect: str = "Allow",
           resource_: str = "*", **extra: object) -> dict:
    key = "NotPrincipal" if extra.pop("not_principal", False) else "Principal"
    return {"Effect": effect, key: principal, "Action": action, "Resource": resource_, **extra}


def _buckets() -> list[dict]:
    reader = {"AWS": arn("role", "reader")}
    return [
        # names another principal of the account
        bucket("names-reader", doc(_grant(reader))),
        # names a role of another account
        bucket("names-partner", doc(_grant({"AWS": arn("role", "partner", OTHER)},
                                           ["s3:GetObject", "s3:PutObject"]))),
        # Principal "*" with a condition: may reach anyone
        bucket("public", doc(_grant("*", Condition={
            "StringEquals": {"aws:SourceVpce": "vpce-1234"}}))),
        # NotPrincipal: kept whatever it lists
        bucket("not-principal", doc(
            _grant(reader, "s3:*", "Deny", not_principal=True),
            _grant({"AWS": f"arn:aws:iam::{ACCT}:root"}, "s3:*"))),
        # a Deny naming the caller
        bucket("deny-ana", doc(_grant({"AWS": arn("user", "ana")}, "s3:*", "Deny"),
                               _grant({"AWS": arn("role", "reader")}))),
        # names the other account
        bucket("partner-account", doc(_grant({"AWS": OTHER}, "s3:*"))),
        # names the role by a path-less ARN in lower case, and a user by name
        bucket("names-writer", doc(_grant({"AWS": [arn("role", "WRITER"),
                                                   arn("user", "bob")]}, "s3:PutObject"))),
        bucket("plain", None),
        # sorts between buckets the shortcut decides together for carol: the hits keep the
        # batch's order (graph.named.regroup)
        bucket("open-door", doc(_grant("*"))),
    ]


def _inventory() -> Inventory:
    boundary = managed(f"arn:aws:iam::{ACCT}:policy/objects-only",
                       doc(allow(["s3:GetObject", "s3:PutObject"])))
    lambdas = trust({"Service": "lambda.amazonaws.com"})
    mine = account(
        users=[
            user("ana", inline={"work": doc(
                allow("s3:GetObject", "arn:aws:s3:::names-reader/*"),
                allow("s3:GetObject", "arn:aws:s3:::deny-ana/*"),
                allow("s3:GetObject", "arn:aws:s3:::theirs/*"),
                allow(["sqs:SendMessage", "kms:Decrypt"]))}),
            user("bob"),
            user("carol", inline={"read": doc(allow("s3:GetObject", [
                "arn:aws:s3:::n*/*", "arn:aws:s3:::o*/*", "arn:aws:s3:::p*/*"]))}),
        ],
        roles=[
            role("reader", lambdas),
            role("writer", lambdas, inline={"s3": doc(allow("s3:*"))},
                 boundary=boundary["Arn"]),
            role("ops", trust({"AWS": arn("user", "ana")}),
                 inline={"ops": doc(allow(["kms:Decrypt", "s3:GetObject"]))}),
        ],
        policies=[boundary],
        resources=[
            *_buckets(),
            resource(KEY_OPS, "aws:kms:key", doc(_grant({"AWS": arn("role", "ops")},
                                                        "kms:*"))),
            resource(KEY_IAM, "aws:kms:key", doc(_grant({"AWS": f"arn:aws:iam::{ACCT}:root"},
                                                        "kms:*"))),
            resource(QUEUE, "aws:sqs:queue", doc(_grant({"AWS": arn("user", "bob")},
                                                        "sqs:SendMessage"))),
        ])
    other = account(
        OTHER,
        roles=[role("partner", lambdas, account=OTHER,
                    inline={"s3": doc(allow("s3:*"), deny("s3:PutObject",
                                                           "arn:aws:s3:::plain/*"))})],
        resources=[bucket("theirs", doc(_grant({"AWS": arn("user", "ana")}, "s3:*")),
                          account=OTHER)])
    return inventory(collection(mine, other))


def _answers(inv: Inventory, skip_inert: bool, reach: frozenset[str] | None = None,
             ) -> dict[str, tuple[list, list]]:
    """Every principal's sensitive hits, and its reach (of those in ``reach`` if given)."""
    effective = EffectiveReach(Authorizer(inv, Engine()), skip_inert=skip_inert)
    sensitive = SensitiveReach(effective)
    return {p.id: (list(effective.reach(p).items) if reach is None or p.id in reach else [],
                   list(sensitive.of(p)))
            for p in effective.authorizer.principals}


def test_shortcut_gives_the_same_reach_and_sensitive_hits() -> None:
    inv = _inventory()
    fast, slow = _answers(inv, True), _answers(inv, False)
    assert fast == slow
    # the cases the inventory was built for are really decided
    ana_reach, ana_hits = fast[arn("user", "ana")]
    targets = {i.target for i in ana_reach}
    assert "arn:aws:s3:::names-reader/*" in targets  # identity allow, policy names another
    assert "arn:aws:s3:::deny-ana/*" not in targets  # the bucket policy denies ana
    assert "arn:aws:s3:::theirs/*" in targets  # cross-account bucket naming ana
    assert "arn:aws:s3:::public/*" in targets  # Principal "*" grants on its own
    assert KEY_OPS not in {h.target for h in ana_hits}  # key policy trusts ops only
    assert f"arn:aws:kms:*:{ACCT}:key/*" in {h.target for h in ana_hits}  # delegated keys
    _, carol_hits = fast[arn("user", "carol")]
    assert [h.target for h in carol_hits if h.scope == "resource"] == [
        f"arn:aws:s3:::{name}/*" for name in ("names-partner", "names-reader", "names-writer",
                                             "open-door", "partner-account", "plain", "public")]
    bob_reach, _ = fast[arn("user", "bob")]
    assert QUEUE in {i.target for i in bob_reach}  # a grant by the queue policy alone
    partner_reach, _ = fast[arn("role", "partner", OTHER)]
    assert "arn:aws:s3:::names-partner/*" in {i.target for i in partner_reach}


def test_shortcut_skips_policies_naming_someone_else() -> None:
    inv = _inventory()
    effective = EffectiveReach(Authorizer(inv, Engine()))
    kind = effective.space.kind("aws:s3:object")
    universe = effective.universe(kind, ACCT)
    inert = effective.inert(inv.principals[arn("user", "ana")], universe)
    skipped = {universe.labels[i] for i in range(len(universe.labels)) if inert >> i & 1}
    assert skipped == {"arn:aws:s3:::names-reader/*", "arn:aws:s3:::names-partner/*",
                       "arn:aws:s3:::partner-account/*", "arn:aws:s3:::names-writer/*"}
    writer = effective.inert(inv.principals[arn("role", "writer")], universe)
    assert not writer & (1 << universe.labels.index("arn:aws:s3:::names-writer/*"))
    keys = effective.universe(effective.space.kind("aws:kms:key"), ACCT)
    ana = effective.inert(inv.principals[arn("user", "ana")], keys)
    assert ana >> keys.labels.index(KEY_OPS) & 1  # trusts ops only: decided as if absent
    assert not ana >> keys.labels.index(KEY_IAM) & 1  # names the account: asked
    assert not ana >> (len(keys.labels) - 1) & 1  # the default key policy of unlisted keys
    slow = EffectiveReach(Authorizer(inv, Engine()), skip_inert=False)
    assert slow.inert(inv.principals[arn("user", "ana")], slow.universe(kind, ACCT)) == 0


PRINCIPALS = [
    "*", {"AWS": "*"}, {"AWS": ACCT}, {"AWS": f"arn:aws:iam::{ACCT}:root"},
    {"AWS": OTHER}, {"AWS": arn("user", "ana")}, {"AWS": arn("user", "Ana")},
    {"AWS": arn("role", "ana")}, {"AWS": f"arn:aws:iam::{ACCT}:role/team/deployer"},
    {"AWS": arn("role", "deployer", OTHER)}, {"Service": "lambda.amazonaws.com"},
    {"AWS": f"arn:aws:sts::{ACCT}:assumed-role/deployer/s1"},
    {"Federated": "cognito-identity.amazonaws.com"}, {"AWS": "AIDAEXAMPLEDELETED"},
]
CALLERS = [arn("user", "ana"), arn("user", "bob"), arn("role", "deployer"),
           f"arn:aws:iam::{ACCT}:role/ops/deployer", arn("role", "deployer", OTHER),
           arn("user", "ana", OTHER)]


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_index_keys_agree_with_the_engine_principal_match(principal: object) -> None:
    policy = parse_policy(doc(_grant(principal)), policy_id="p", kind=PolicyKind.RESOURCE)
    [stmt] = Engine().compile_single(policy).statements
    keys = policy_keys([stmt])
    for text in CALLERS:
        caller = parse_caller(text)
        wanted = caller_keys(caller)
        assert wanted is not None
        named = keys is None or any(k in keys for k in wanted)
        assert named == (stmt.principal.reach(caller) is not GrantReach.NONE), (principal, text)


def test_not_principal_and_missing_principal_are_always_kept() -> None:
    engine = Engine()
    statements = [
        _grant({"AWS": arn("role", "reader")}, "s3:*", "Deny", not_principal=True),
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
    ]
    for statement in statements:
        policy = parse_policy(doc(statement), policy_id="p", kind=PolicyKind.RESOURCE)
        assert policy_keys(engine.compile_single(policy).statements) is None
    # callers that are not IAM users or roles are never shortened
    assert caller_keys(parse_caller("lambda.amazonaws.com")) is None
    assert caller_keys(parse_caller(f"arn:aws:sts::{ACCT}:assumed-role/r/s")) is None


def test_index_over_a_universe(flawed: Inventory) -> None:
    effective = EffectiveReach(Authorizer(flawed, Engine()))
    kind = effective.space.kind("aws:s3:object")
    for principal in effective.authorizer.principals:
        universe = effective.universe(kind, principal.account)
        inert = effective.inert(principal, universe)
        assert isinstance(universe.named, NamedIndex)
        assert inert & ~universe.named.with_policy == 0


def test_flawed_org_answers_are_the_same(flawed: Inventory, analysis: BlastAnalysis) -> None:
    """Every principal of the flawed org (cross-account buckets, KMS keys, boundaries, SCPs):
    sensitive hits of all, full reach of those that are not administrators (whose reach is
    "everything in the account" and costs seconds)."""
    admins = analysis.access.admins
    small = frozenset(p for p in flawed.principals
                      if not (p in admins and admins[p].admin))
    assert len(small) > 5
    assert _answers(flawed, True, small) == _answers(flawed, False, small)
