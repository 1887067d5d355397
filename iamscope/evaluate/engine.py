"""The evaluation engine: compiles policy layers once and decides requests against them."""

from __future__ import annotations

from collections import OrderedDict

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.evaluate.compiled import (
    CompiledLayer,
    CompiledStatement,
    compile_layer,
    compile_policy,
)
from iamscope.evaluate.decide import CompiledLayers, compile_layers, decide
from iamscope.evaluate.decision import Decision, Evaluation
from iamscope.evaluate.request import PolicyLayers, Request
from iamscope.model.policy import Policy


class Engine:
    """Decides requests exactly as AWS does.

    Each policy is compiled once (memoised by object identity, so a managed policy shared
    by thousands of principals is compiled once), and compiled layers are memoised per
    ``PolicyLayers`` object (bounded), so evaluating many requests against the same
    principal's policies compiles nothing again.
    """

    def __init__(self, catalog: ActionCatalog | None = None, *, cache_size: int = 4096):
        self.catalog = catalog if catalog is not None else ActionCatalog()
        self._cache: OrderedDict[int, tuple[PolicyLayers, CompiledLayers]] = OrderedDict()
        self._cache_size = cache_size
        self._policies: dict[int, tuple[Policy, tuple[CompiledStatement, ...]]] = {}
        self._levels: dict[tuple[int, ...], tuple[tuple[Policy, ...], CompiledLayer]] = {}

    def compile_policy(self, policy: Policy) -> tuple[CompiledStatement, ...]:
        key = id(policy)
        hit = self._policies.get(key)
        if hit is not None and hit[0] is policy:
            return hit[1]
        compiled = compile_policy(policy)
        if len(self._policies) >= 1_000_000:
            self._policies.clear()
        self._policies[key] = (policy, compiled)
        return compiled

    def compile_single(self, policy: Policy) -> CompiledLayer:
        """A layer of one policy (a resource policy), memoised by policy identity."""
        return self.compile_level((policy,))

    def compile_level(self, policies: tuple[Policy, ...]) -> CompiledLayer:
        """A layer of several policies (one SCP/RCP level), memoised by their identities."""
        key = tuple(id(p) for p in policies)
        hit = self._levels.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], policies, strict=True)):
            return hit[1]
        layer = compile_layer(policies, self.compile_policy)
        if len(self._levels) >= 200_000:
            self._levels.clear()
        self._levels[key] = (policies, layer)
        return layer

    def compile(self, layers: PolicyLayers) -> CompiledLayers:
        key = id(layers)
        hit = self._cache.get(key)
        if hit is not None and hit[0] is layers:
            self._cache.move_to_end(key)
            return hit[1]
        compiled = compile_layers(layers, self.compile_policy)
        self._cache[key] = (layers, compiled)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return compiled

    def evaluate(self, request: Request, layers: PolicyLayers | CompiledLayers, *,
                 assume_absent: bool = False) -> Evaluation:
        """The decision with its full explanation (layers, deciding statements, reason).
        ``assume_absent``: evaluate conditions on absent keys attacker-optimally."""
        compiled = layers if isinstance(layers, CompiledLayers) else self.compile(layers)
        return decide(request, compiled, self.catalog.rcp_services,
                      assume_absent=assume_absent)

    def decide_assuming(self, request: Request,
                        layers: PolicyLayers | CompiledLayers) -> Evaluation:
        """Attacker-optimal decision without the explanation: the decision and the condition
        keys it relied on (``Evaluation.assumed_keys``)."""
        compiled = layers if isinstance(layers, CompiledLayers) else self.compile(layers)
        return decide(request, compiled, self.catalog.rcp_services, explain=False,
                      assume_absent=True)

    def decide(self, request: Request, layers: PolicyLayers | CompiledLayers) -> Decision:
        """Only the decision: the same logic without building the explanation."""
        compiled = layers if isinstance(layers, CompiledLayers) else self.compile(layers)
        return decide(request, compiled, self.catalog.rcp_services, explain=False).decision
