"""Technique families: the code behind the catalog's techniques.

``FAMILIES`` maps a family name (the ``family`` of catalog entries) to the function that
finds its edges, as a lazy "module:function" string. A handler takes the graph context and
one technique and yields edges; it never sees a cloud client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module

from iamscope.catalog.techniques import Technique
from iamscope.graph.context import GraphContext
from iamscope.model.edge import Edge

Handler = Callable[[GraphContext, Technique], Iterator[Edge]]

FAMILIES: dict[str, str] = {
    "assume_role": "iamscope.graph.techniques.assume_role:find",
}


def handler(family: str) -> Handler | None:
    target = FAMILIES.get(family)
    if target is None:
        return None
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)
