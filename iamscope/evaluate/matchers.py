"""Matching the Action and Resource elements of a statement.

Actions (IAM User Guide, "IAM JSON policy elements: Action"): ``service:Action`` with
``*``/``?`` wildcards, compared case-insensitively; a wildcard never crosses from the
action name into another service because the prefix is matched on its own.

Resources ("IAM JSON policy elements: Resource", "IAM identifiers"): compared
case-sensitively and field by field. The first five colon-separated fields (arn,
partition, service, region, account) are each matched on their own, so a ``*`` there
covers one field (including an empty one); the sixth field, the resource part, is
matched as a whole, so its ``*`` spans ``/`` and ``:``. ``*`` alone matches every
resource. Policy variables are substituted only in the resource part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from iamscope.policy.variables import (
    Template,
    Unresolved,
    has_variables,
    parse_template,
    to_pieces,
)
from iamscope.policy.wildcard import Glob, compile_glob, glob_from_pieces


@dataclass(frozen=True, slots=True)
class ActionPattern:
    text: str
    any_service: bool  # "*" or a wildcard in the service prefix
    service: str  # lower-cased prefix (may contain wildcards when any_service)
    name: Glob | None  # None matches every action name

    def matches(self, service: str, name: str) -> bool:
        """``service`` and ``name`` are lower-cased parts of the requested action."""
        if self.any_service and self.service != "*":
            if not compile_glob(self.service).matches(service):
                return False
        elif not self.any_service and service != self.service:
            return False
        return self.name is None or self.name.matches(name)


def compile_action(text: str) -> ActionPattern:
    lowered = text.strip().lower()
    if lowered == "*":
        return ActionPattern(text, True, "*", None)
    service, sep, name = lowered.partition(":")
    if not sep:
        # Not service:Action: IAM rejects such a policy, so it matches nothing here (the
        # linter reports it as an error).
        return ActionPattern(text, False, "", compile_glob(""))
    wild_service = "*" in service or "?" in service
    name_glob = None if name == "*" else compile_glob(name)
    return ActionPattern(text, wild_service, service, name_glob)


def split_action(action: str) -> tuple[str, str]:
    service, _, name = action.lower().partition(":")
    return service, name


@dataclass(frozen=True, slots=True)
class ResourcePattern:
    """A compiled Resource/NotResource entry."""

    text: str
    everything: bool = False
    head: tuple[Glob, ...] = ()  # globs for fields 0-4 of an ARN pattern
    tail: Glob | None = None  # glob for the resource part when it has no variables
    tail_template: Template | None = None  # resource part with variables
    whole: Glob | None = None  # for a pattern that is not an ARN

    def matches(self, resource: str, resource_fields: list[str] | None,
                context: Mapping[str, object] | None) -> bool:
        if self.everything:
            return True
        if self.whole is not None:
            return self.whole.matches(resource)
        if resource_fields is None:
            return False
        for glob, part in zip(self.head, resource_fields, strict=False):
            if not glob.matches(part):
                return False
        tail = self.tail
        if tail is None:
            try:
                pieces = to_pieces(self.tail_template or (), context, wildcards=True)
            except Unresolved:
                return False
            tail = glob_from_pieces(pieces)
        return tail.matches(resource_fields[5])


def split_fields(text: str) -> list[str]:
    """Split on the first five colons that are not inside ``${...}``."""
    fields: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text) and len(fields) < 5:
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        ch = text[i]
        if ch == "}" and depth:
            depth -= 1
        elif ch == ":" and not depth:
            fields.append(text[start:i])
            start = i + 1
        i += 1
    fields.append(text[start:])
    return fields


def compile_resource(text: str, *, variables: bool) -> ResourcePattern:
    if text == "*":
        return ResourcePattern(text, everything=True)
    fields = split_fields(text)
    if len(fields) != 6:
        return ResourcePattern(text, whole=compile_glob(text))
    head = tuple(compile_glob(f) for f in fields[:5])
    tail_text = fields[5]
    if variables:
        template = parse_template(tail_text)
        if has_variables(template):
            return ResourcePattern(text, head=head, tail_template=template)
    return ResourcePattern(text, head=head, tail=compile_glob(tail_text))


def resource_fields(resource: str) -> list[str] | None:
    fields = resource.split(":", 5)
    return fields if len(fields) == 6 else None
