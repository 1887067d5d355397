"""Proof (b) without deciding the same question twice: calls grouped by what decides them.

A busy principal has 100,000+ distinct observed (action, resource) calls, but far fewer
distinct *questions*. ``decide`` (evaluate/decide.py) reads the resource of a request in
exactly these places, and nowhere else:

* which statements of each layer cover it (``CompiledStatement.covers_resource``, with the
  resource's fields and the request context, for policy variables);
* the account that owns it (``Request.owning_account``), compared with the caller's;
* whether the call needs an explicit trust (``requires_trust``: the action, the ARN's
  service field, and whether its resource part starts with ``role/`` or ``key/``);
* for service callers only, whether a service assumes a service-linked role (the resource
  itself is then part of the signature: no grouping);
* the texts of the explanation, which the replay does not build (``explain=False``).

Everything else it reads comes from the caller, the action, the request context and the
layers. So two calls with the same action, the same other layers (boundary, SCP and RCP
chains, resource policy, session policies: by identity), the same request apart from its
resource (principal, role ARN, resource account, context) and the same *signature* (the
coverage bit of every statement of every layer that the action selects, the owning account
and the ARN shape above) walk the same path through ``decide`` and get the same decision.
The engine decides the first call of each signature (with the proposal pruned to that
call's resource, replay_index.py, which decides as the whole proposal does), and its
answer is the answer for the group: exact, not an approximation.

The identity bits are those of the *whole* proposal, computed from the replay index
without compiling thousands of entries: an entry can match only if it is a candidate
(replay_index.py), a candidate with a wildcard or variable is matched with the engine's own
``ResourcePattern.matches``, and an entry with neither matches exactly the resource equal to
it (``compile_resource`` turns each of its fields into a literal ``Glob``, which compares
the whole string, case-sensitively; a text with fewer than six fields is one literal glob).
Deny, NotResource and Resource-less statements are compiled whole and asked directly.
tests/minimize/test_replay_groups.py checks the grouped replay against deciding every call
with the whole proposal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from iamscope.evaluate.compiled import (
    CompiledLayer,
    CompiledStatement,
    compile_statement,
)
from iamscope.evaluate.engine import Engine
from iamscope.evaluate.matchers import compile_resource, resource_fields
from iamscope.evaluate.request import PolicyLayers, Request, derived_context
from iamscope.minimize.replay_index import ProposalIndex, literal_prefix
from iamscope.model.ids import Caller, CallerKind
from iamscope.model.policy import Policy


@dataclass(slots=True)
class IdentityCoverage:
    """Coverage of a resource by the statements of the whole proposal (see the module
    docstring): ``bits(action, ...)`` gives one bit per statement the action selects."""

    index: ProposalIndex
    layer: CompiledLayer = field(init=False)
    position: dict[int, int] = field(init=False)
    whole: frozenset[int] = field(init=False)  # statements compiled whole (index.fixed)
    star: frozenset[int] = field(init=False)  # Allow statements with Resource "*"
    exact: dict[str, list[int]] = field(init=False)  # literal entry -> its statements
    supports_variables: bool = field(init=False)
    matchers: dict[str, Callable[[str, list[str] | None, Mapping[str, object]], bool]] = \
        field(default_factory=dict)
    plans: dict[str, tuple[list[tuple[int, CompiledStatement]], frozenset[int],
                           frozenset[int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        proposal = self.index.proposal
        fixed = self.index.fixed
        # Fixed statements compiled whole; the others without their Resource entries (only
        # their Action and conditions are read from the compiled form).
        compiled = tuple(
            compile_statement(proposal, s if i in fixed else replace(s, resources=()))
            for i, s in enumerate(proposal.statements))
        self.layer = CompiledLayer((proposal,), compiled)
        self.position = {id(s): i for i, s in enumerate(compiled)}
        self.whole = fixed
        self.supports_variables = proposal.supports_variables
        self.star = frozenset(i for i, s in enumerate(proposal.statements)
                              if i not in fixed and "*" in (s.resources or ()))
        self.exact = {}
        for i, s in enumerate(proposal.statements):
            if i in fixed:
                continue
            for text in s.resources or ():
                if len(literal_prefix(text)) == len(text):
                    self.exact.setdefault(text, []).append(i)

    def _matcher(self, text: str) -> Callable[[str, list[str] | None, Mapping[str, object]],
                                              bool]:
        """How to match one entry with a wildcard or variable. ``prefix*`` (one trailing
        star, no ``?``, no variable) matches exactly the resources starting with
        ``prefix``: its first five fields are literal globs (equal fields) and its resource
        part a literal followed by a star (or, with fewer than six fields, the whole text
        is); anything else goes to the engine's ``ResourcePattern.matches``."""
        found = self.matchers.get(text)
        if found is None:
            if text.endswith("*") and text.count("*") == 1 and "?" not in text and \
                    "$" not in text:
                prefix = text[:-1]
                found = lambda resource, _fields, _context: resource.startswith(prefix)  # noqa: E731
            else:
                found = compile_resource(text, variables=self.supports_variables).matches
            self.matchers[text] = found
        return found

    def covering(self, resource: str, fields: list[str] | None,
                 context: Mapping[str, object], wanted: frozenset[int]) -> set[int]:
        """Statements of ``wanted`` (kept by the index, not whole) with an entry matching
        ``resource``."""
        found = {i for i in self.exact.get(resource, ()) if i in wanted}
        lowered = resource.lower()
        general = self.index.general
        for n in self.index.lengths:
            if n > len(lowered):
                break
            for i, text in general.get(lowered[:n], ()):
                if i in wanted and i not in found and \
                        self._matcher(text)(resource, fields, context):
                    found.add(i)
        return found

    def plan(self, action_key: str) -> tuple[list[tuple[int, CompiledStatement]],
                                              frozenset[int], frozenset[int]]:
        """The statements the action selects (position, compiled form), those of them
        matched entry by entry, and all of their positions."""
        plan = self.plans.get(action_key)
        if plan is None:
            stmts = [(self.position[id(s)], s) for s in self.layer.for_action(action_key)]
            plan = (stmts, frozenset(i for i, _ in stmts
                                     if i not in self.whole and i not in self.star),
                    frozenset(i for i, _ in stmts))
            self.plans[action_key] = plan
        return plan

    def bits(self, action_key: str, resource: str, fields: list[str] | None,
             context: Mapping[str, object]) -> tuple[bool, ...]:
        stmts, wanted, _ = self.plan(action_key)
        covering = self.covering(resource, fields, context, wanted) if wanted else set()
        return tuple(stmt.covers_resource(resource, fields, context) if i in self.whole
                     else i in self.star or i in covering for i, stmt in stmts)


@dataclass(slots=True)
class _Setting:
    """What a group of calls shares besides the action and the resource."""

    number: int
    layers: PolicyLayers  # the other layers; keeps the objects keyed by identity alive
    compiled: tuple[CompiledLayer, ...]
    caller: Caller
    context: Mapping[str, object]
    # per action: the statements of the other layers whose coverage depends on the resource
    # (those without a Resource element or with Resource "*" cover every resource)
    varying: dict[str, tuple[CompiledStatement, ...]] = field(default_factory=dict)

    def statements(self, action_key: str) -> tuple[CompiledStatement, ...]:
        found = self.varying.get(action_key)
        if found is None:
            found = tuple(s for layer in self.compiled for s in layer.for_action(action_key)
                          if s.resources is not None and not s.any_resource)
            self.varying[action_key] = found
        return found


class GroupedReplay:
    """Decides replayed calls for one proposal, running the engine once per signature."""

    def __init__(self, proposal: Policy, engine: Engine):
        self.engine = engine
        # One entry per chunk: the representative's pruned proposal holds only the entries
        # that can match its resource (no sharing between calls is needed any more).
        self.index = ProposalIndex.of(proposal, chunk=1)
        self.identity = IdentityCoverage(self.index)
        self._settings: dict[tuple[object, ...], _Setting] = {}
        self._decided: dict[tuple[object, ...], bool] = {}
        self._layers: dict[tuple[int, int], PolicyLayers] = {}
        self.engine_calls = 0

    def _setting(self, request: Request, layers: PolicyLayers,
                 resource_policy: Policy | None) -> _Setting:
        context_key = tuple(sorted(request.context.items())) if request.context else ()
        key: tuple[object, ...] = (
            request.principal, request.principal_arn, request.resource_account, context_key,
            id(layers.boundary), id(resource_policy))
        if layers.scps or layers.rcps or layers.session:
            key += (tuple(tuple(id(p) for p in level) for level in layers.scps),
                    tuple(tuple(id(p) for p in level) for level in layers.rcps),
                    tuple(id(p) for p in layers.session))
        found = self._settings.get(key)
        if found is None:
            base = PolicyLayers(boundary=layers.boundary, scps=layers.scps, rcps=layers.rcps,
                                resource=resource_policy, session=layers.session)
            compiled = self.engine.compile(base)
            caller = request.caller()
            found = _Setting(len(self._settings), base, tuple(
                layer for layer in (compiled.boundary, *compiled.scps, *compiled.rcps,
                                    compiled.resource, compiled.session) if layer is not None),
                caller, derived_context(request, caller))
            self._settings[key] = found
        return found

    def allowed(self, request: Request, layers: PolicyLayers,
                resource_policy: Policy | None) -> bool:
        """Whether the engine allows ``request`` with the proposal as the identity layer,
        ``resource_policy`` as the resource layer and the rest of ``layers``."""
        setting = self._setting(request, layers, resource_policy)
        context = setting.context
        resource = request.resource
        action_key = request.action.lower()
        fields = resource_fields(resource)
        # The ARN fields the owning account (``parse_arn``) and ``requires_trust`` read.
        shape = None if fields is None else (
            fields[0], fields[2], fields[4], fields[5].startswith("role/"),
            fields[5].startswith("key/"))
        signature = (
            setting.number, request.action, shape,
            resource if setting.caller.kind is CallerKind.SERVICE else None,
            self.identity.bits(action_key, resource, fields, context),
            tuple(s.covers_resource(resource, fields, context)
                  for s in setting.statements(action_key)))
        decided = self._decided.get(signature)
        if decided is None:
            # The representative: the proposal cut to the statements the action selects and
            # their entries that can match the resource (replay_index.py), which the engine
            # decides as the whole proposal; one PolicyLayers per cut and setting, so the
            # engine compiles each combination once.
            pruned = self.index.for_resource(resource, self.identity.plan(action_key)[2])
            layers_key = (id(pruned), setting.number)
            proposed = self._layers.get(layers_key)
            if proposed is None or proposed.identity[0] is not pruned:
                proposed = replace(setting.layers, identity=(pruned,))
                self._layers[layers_key] = proposed
            decided = self.engine.decide_assuming(request, proposed).allowed
            self.engine_calls += 1
            self._decided[signature] = decided
        return decided
