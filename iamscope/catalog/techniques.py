"""The escalation technique catalog: knowledge as data (``data/aws_techniques.toml``).

Each technique names the family of code that detects it (``graph/techniques/<family>.py``),
the permissions it needs, what it targets and what it gains, and the facts the data may not
prove. Ids follow ``../shared/reference/privesc.md`` (AWS-IAM-01, AWS-LMB-01, ...).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from iamscope.errors import CatalogError

FAMILIES = frozenset({
    "assume_role", "credentials", "trust_rewrite", "self_policy", "modify_policy",
    "join_group", "pass_role", "run_as", "web_identity",
})
EDGE_KINDS = frozenset({"assume", "credentials", "pass-role", "run-as", "modify-trust",
                        "modify-policy", "join-group"})


@dataclass(frozen=True, slots=True)
class Technique:
    id: str
    name: str
    family: str
    edge_kind: str
    gain: str
    actions: tuple[str, ...]  # all required (on the target, or "*" for creation)
    principal_types: tuple[str, ...] = ("user", "role")  # who the technique helps
    target: str = ""  # role | user | group | policy | self | resource type (aws:lambda:function)
    service: str = ""  # pass_role: the service principal the passed role must trust
    create: tuple[str, ...] = ()  # pass_role: creation actions, all required
    trigger_any: tuple[str, ...] = ()  # one of these runs the code; else the edge is conditional
    role_attribute: str = "role_arn"  # run_as: the attribute naming the role
    requires: str = ""  # run_as: a resource attribute that must be true (ssm_managed)
    preconditions: str = ""
    limitations: str = ""
    references: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)


def _load(text: str, source: str) -> tuple[Technique, ...]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{source}: {exc}") from exc
    out = []
    seen: set[str] = set()
    for raw in data.get("technique", []):
        try:
            technique = Technique(
                id=raw["id"], name=raw["name"], family=raw["family"],
                edge_kind=raw["edge_kind"], gain=raw["gain"],
                actions=tuple(raw.get("actions", ())),
                principal_types=tuple(raw.get("principal_types", ("user", "role"))),
                target=raw.get("target", ""), service=raw.get("service", ""),
                create=tuple(raw.get("create", ())),
                trigger_any=tuple(raw.get("trigger_any", ())),
                role_attribute=raw.get("role_attribute", "role_arn"),
                requires=raw.get("requires", ""),
                preconditions=raw.get("preconditions", ""),
                limitations=raw.get("limitations", ""),
                references=tuple(raw.get("references", ())),
                extra={k: str(v) for k, v in raw.get("extra", {}).items()},
            )
        except KeyError as exc:
            raise CatalogError(f"{source}: technique {raw.get('id', '?')} lacks {exc}") from exc
        if technique.id in seen:
            raise CatalogError(f"{source}: duplicate technique id {technique.id}")
        if technique.family not in FAMILIES:
            raise CatalogError(f"{source}: {technique.id}: unknown family {technique.family}")
        if technique.edge_kind not in EDGE_KINDS:
            raise CatalogError(f"{source}: {technique.id}: unknown edge kind "
                               f"{technique.edge_kind}")
        seen.add(technique.id)
        out.append(technique)
    return tuple(out)


@lru_cache(maxsize=1)
def aws_techniques() -> tuple[Technique, ...]:
    """The AWS catalog, read on first use."""
    text = resources.files("iamscope.catalog").joinpath("data/aws_techniques.toml").read_text(
        encoding="utf-8")
    return _load(text, "aws_techniques.toml")


def technique(technique_id: str) -> Technique:
    for item in aws_techniques():
        if item.id == technique_id:
            return item
    raise KeyError(technique_id)
