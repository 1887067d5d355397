"""Hostile inventories: trust cycles, very long assumption chains, a principal with thousands
of policies. Analysis terminates with the right answer."""

from __future__ import annotations

import time

from iamscope.evaluate import Engine
from iamscope.graph.blast import BlastAnalysis
from iamscope.graph.build import build_graph
from iamscope.model.inventory import Inventory
from iamscope.pipeline import run_audit
from tests.graph.builders import (
    ACCT,
    ADMIN,
    ADMIN_POLICY,
    account,
    allow,
    arn,
    collection,
    doc,
    inventory,
    managed,
    role,
    trust,
    user,
)


def analyse(inv: Inventory) -> BlastAnalysis:
    engine = Engine()
    return BlastAnalysis(build_graph(inv, engine), engine)


def assume(*targets: str) -> dict:
    return {"assume": doc(allow("sts:AssumeRole", [arn("role", t) for t in targets]))}


def test_trust_cycle_terminates_with_the_right_closure() -> None:
    inv = inventory(collection(account(
        users=[user("u", inline=assume("a"))],
        roles=[role("a", trust({"AWS": [arn("user", "u"), arn("role", "b")]}), inline=assume("b")),
               role("b", trust({"AWS": arn("role", "a")}), inline=assume("a", "c")),
               role("c", trust({"AWS": arn("role", "b")}), managed=(ADMIN_POLICY,)),
               role("d", trust({"AWS": arn("role", "e")}), inline=assume("e")),
               role("e", trust({"AWS": arn("role", "d")}), inline=assume("d"))],
        policies=[ADMIN])))
    esc = analyse(inv).escalation
    assert set(esc.closure(arn("role", "a"))) == {arn("role", "b"), arn("role", "c")}
    assert set(esc.closure(arn("role", "b"))) == {arn("role", "a"), arn("role", "c")}
    # A cycle with no way out: each can become the other, nobody reaches admin.
    assert esc.closure(arn("role", "d")) == [arn("role", "e")]
    assert not esc.reaches_admin(arn("role", "d"))
    [path] = esc.admin_paths(arn("user", "u"))
    assert [h.target for h in path.hops] == [arn("role", "a"), arn("role", "b"), arn("role", "c")]


def test_a_chain_of_2000_roles() -> None:
    n = 2000
    names = [f"hop-{i:04d}" for i in range(n)]
    roles = [role(name, trust({"AWS": arn("role", names[i - 1]) if i else arn("user", "start")}),
                  inline=assume(names[i + 1]) if i + 1 < n else None,
                  managed=(ADMIN_POLICY,) if i + 1 == n else ())
             for i, name in enumerate(names)]
    inv = inventory(collection(account(users=[user("start", inline=assume(names[0]))],
                                       roles=roles, policies=[ADMIN])))
    started = time.perf_counter()
    result = run_audit(inv, checks=["aws_escalation_to_admin"])
    assert time.perf_counter() - started < 120
    [summary] = [p for p in result.principals if p.id == arn("user", "start")]
    assert summary.reaches_admin and not summary.admin
    [path] = summary.paths
    assert [h.target for h in path] == [arn("role", name) for name in names]
    finding = next(f for f in result.findings if f.subject == arn("user", "start"))
    assert finding.message.startswith(f"user start (account {ACCT}) can become admin in 2000 "
                                      "steps: hop-0000 (AWS-STS-01) -> hop-0001")
    assert len({f.subject for f in result.findings}) == n  # start and every hop but the last


def test_a_principal_with_thousands_of_policies() -> None:
    policies = [managed(f"arn:aws:iam::{ACCT}:policy/p{i:04d}",
                        doc(allow("s3:GetObject", f"arn:aws:s3:::bucket-{i:04d}/*")))
                for i in range(3000)]
    inline = {f"inline-{i:04d}": doc(allow("sqs:SendMessage",
                                           f"arn:aws:sqs:us-east-1:{ACCT}:q{i:04d}"))
              for i in range(1000)}
    inline["assume"] = assume("admin")["assume"]
    inv = inventory(collection(account(
        users=[user("hoarder", inline=inline, managed=tuple(p["Arn"] for p in policies))],
        roles=[role("admin", trust({"AWS": f"arn:aws:iam::{ACCT}:root"}), managed=(ADMIN_POLICY,))],
        policies=[*policies, ADMIN])))
    analysis = analyse(inv)
    principal = inv.principals[arn("user", "hoarder")]
    started = time.perf_counter()
    reach = analysis.effective.reach(principal)
    assert time.perf_counter() - started < 30
    s3 = [i for i in reach.items if i.service == "s3"]
    assert sorted(i.target for i in s3) == [f"arn:aws:s3:::bucket-{i:04d}/*" for i in range(3000)]
    assert {(i.scope, i.actions) for i in s3} == {("matching", ("GetObject",))}
    assert len([i for i in reach.items if i.service == "sqs"]) == 1000
    assert analysis.escalation.admin_paths(principal.id)[0].hops[0].target == arn("role", "admin")
