"""What one principal can do to one resource: every action whose resource type fits the
resource's ARN, in the classes ``effective`` uses, decided on that resource alone. Used to
find, among the principals one can become, those that can act on a resource."""

from __future__ import annotations

from iamscope.evaluate.batch import TargetUniverse
from iamscope.graph.action_space import all_statements, refine, splitters
from iamscope.graph.effective import TRUST_ACTIONS, EffectiveReach, items_of
from iamscope.model.principal import Principal
from iamscope.model.reach import ReachItem, merge_items


class ResourceReach:
    def __init__(self, effective: EffectiveReach):
        self.effective = effective
        self._fits: dict[tuple[str, str], int] = {}

    def of(self, principal: Principal, arn: str) -> list[ReachItem]:
        effective = self.effective
        space, authorizer = effective.space, effective.authorizer
        compiled = authorizer.engine.compile(authorizer.caller(principal).base)
        candidates = effective.candidates(compiled)
        by_service, everywhere = splitters(
            [space.statement(s) for s in all_statements(compiled)] + effective.context_covers,
            space)
        items: list[ReachItem] = []
        for service in sorted(candidates.services(space)):
            cand = candidates.mask(service, space) & self._fitting(service, arn)
            if not cand:
                continue
            masks = [c.mask(service, space) for c in everywhere] + by_service.get(service, [])
            for cls in refine(cand, masks):
                infos = space.members(service, cls)
                trust = infos[0].name.lower() in TRUST_ACTIONS
                universe = TargetUniverse((effective.target(arn, trust=trust),))
                for grant in authorizer.grants(principal, f"{service}:{infos[0].name}",
                                               universe, evidence=False):
                    items.extend(items_of(service, infos, arn, "resource",
                                          tuple(sorted(grant.assumed_keys))))
        return merge_items(items)

    def _fitting(self, service: str, arn: str) -> int:
        """The service's actions (as a bitset) whose resource types fit the ARN."""
        key = (service, arn)
        hit = self._fits.get(key)
        if hit is None:
            space = self.effective.space
            hit = 0
            for i, info in enumerate(space.actions(service)):
                if any(kind.matches(arn) for kind in space.kinds(info)):
                    hit |= 1 << i
            if len(self._fits) > 100_000:
                self._fits.clear()
            self._fits[key] = hit
        return hit
