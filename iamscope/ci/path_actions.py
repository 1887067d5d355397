"""Which actions of a new escalation path the plan grants, and which the path only uses.

A path that is new after the plan often starts with steps the principal could already take
(a user that could assume a deploy role before the plan, and only the deploy role's policy
changed). An action of a hop is *gained* when the plan brings it about: every action of a
principal the plan adds (a trust policy may name it before it exists); otherwise when the hop
(same source, target and technique) was not in the prior state's access graph and a statement
granting the action on that hop is new (an added or changed statement, or a policy newly
attached). The other actions are *used*: the plan did not change what grants
them (the hop existed before, or its statements are unchanged and something else changed,
such as the target's permissions or a boundary).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from iamscope.checks.base import CheckContext
from iamscope.model.edge import Edge, Evidence

if TYPE_CHECKING:
    from iamscope.ci.delta import Changes


def path_actions(changes: Changes, hops: Iterable[Edge]) -> tuple[list[str], list[str]]:
    """(gained, used): the path's actions in path order, each once; an action both gained on
    one hop and used on another counts as gained."""
    gained: dict[str, None] = {}
    used: dict[str, None] = {}
    for hop in hops:
        added = hop.source not in changes.before.inventory.principals
        existed = not added and hop_existed(changes.before, hop)
        new: dict[str, bool] = {}
        for evidence in hop.evidence:
            holder = hop.source if evidence.policy_id in changes.in_force(hop.source) \
                else hop.target
            fresh = added or (not existed and not statement_existed(changes, evidence, holder))
            new[evidence.action] = new.get(evidence.action, False) or fresh
        for action, fresh in new.items():
            (gained if fresh else used)[action] = None
    return list(gained), [a for a in used if a not in gained]


def hop_existed(before: CheckContext, hop: Edge) -> bool:
    """Whether the prior state's access graph has the same step (source, target,
    technique)."""
    data = before.access.graph.get_edge_data(hop.source, hop.target) or {}
    return any(item["edge"].technique == hop.technique for item in data.values())


def statement_existed(changes: Changes, evidence: Evidence, holder: str) -> bool:
    """Whether the granting statement was in force, word for word, for ``holder`` before
    the plan (in the same policy, which was already attached)."""
    after = changes.after.inventory.policies.get(evidence.policy_id)
    before = changes.before.inventory.policies.get(evidence.policy_id)
    if after is None or before is None or evidence.policy_id in changes.attached(holder):
        return False
    if not 0 <= evidence.statement_index < len(after.statements):
        return False
    return after.statements[evidence.statement_index] in before.statements
