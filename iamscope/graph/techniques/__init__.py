"""Technique families: the code behind the catalog's techniques.

``FAMILIES`` maps a family name (the ``family`` of catalog entries) to the function that
finds its edges, as a lazy "module:function" string. A handler takes the graph context and
one technique and yields edges; it never sees a cloud client. ``modify_policy`` is run by
``build`` for the ``self_policy`` techniques once admins are known (``FOLLOW_UPS``).

Shared machinery: ``toolkit`` (per-build indexes: who holds an action, bit indexes, "admin
after a self-grant"), ``probes`` (single decisions, resources that do not exist yet) and
``common`` (edges over bitmasks, leaving out those a step into an admin makes redundant).
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
    "credentials": "iamscope.graph.techniques.credentials:find",
    "trust_rewrite": "iamscope.graph.techniques.trust_rewrite:find",
    "self_policy": "iamscope.graph.techniques.self_policy:find",
    "modify_policy": "iamscope.graph.techniques.modify_policy:find",
    "join_group": "iamscope.graph.techniques.join_group:find",
    "pass_role": "iamscope.graph.techniques.pass_role:find",
    "run_as": "iamscope.graph.techniques.run_as:find",
    "web_identity": "iamscope.graph.techniques.web_identity:find",
}


def handler(family: str) -> Handler | None:
    target = FAMILIES.get(family)
    if target is None:
        return None
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)
