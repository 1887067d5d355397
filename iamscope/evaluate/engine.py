"""The evaluation engine: compiles policy layers once and decides requests against them."""

from __future__ import annotations

from collections import OrderedDict

from iamscope.catalog.aws_actions import ActionCatalog
from iamscope.evaluate.decide import CompiledLayers, compile_layers, decide
from iamscope.evaluate.decision import Evaluation
from iamscope.evaluate.request import PolicyLayers, Request


class Engine:
    """Decides requests exactly as AWS does.

    Compiled policy layers are memoised per ``PolicyLayers`` object (by identity, bounded),
    so evaluating many requests against the same principal's policies compiles them once.
    """

    def __init__(self, catalog: ActionCatalog | None = None, *, cache_size: int = 4096):
        self.catalog = catalog if catalog is not None else ActionCatalog()
        self._cache: OrderedDict[int, tuple[PolicyLayers, CompiledLayers]] = OrderedDict()
        self._cache_size = cache_size

    def compile(self, layers: PolicyLayers) -> CompiledLayers:
        key = id(layers)
        hit = self._cache.get(key)
        if hit is not None and hit[0] is layers:
            self._cache.move_to_end(key)
            return hit[1]
        compiled = compile_layers(layers)
        self._cache[key] = (layers, compiled)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return compiled

    def evaluate(self, request: Request, layers: PolicyLayers | CompiledLayers) -> Evaluation:
        compiled = layers if isinstance(layers, CompiledLayers) else self.compile(layers)
        return decide(request, compiled, self.catalog.rcp_services)
