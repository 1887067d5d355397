"""``terraform show -json`` plans -> ``TerraformReading``.

Format: Terraform's "JSON Output Format" (https://developer.hashicorp.com/terraform/internals/
json-format), ``format_version`` 0.1 to 1.x; a major version above 1 is rejected, as the
format's own compatibility rules ask. What is read:

- ``planned_values.root_module`` (``resources`` and ``child_modules``, recursively): the
  planned instances;
- ``resource_changes``: ``change.after`` with ``change.after_unknown`` (values known only
  after apply become ``Unknown("known after apply")``); an instance whose only action is
  ``delete`` is absent from the planned reading; deposed objects are ignored;
- ``prior_state.values.root_module``: the state before the plan (``TerraformReading.prior``),
  whose data sources (read at plan time) also join the planned reading when the plan does
  not list them itself;
- ``configuration.root_module`` (``resources[].expressions`` and ``module_calls``,
  recursively): the references of each attribute, so that an unknown ``policy_arn`` carries
  ``Unknown(reference="aws_iam_policy.deploy.arn")`` and the normalizer can join it; an input
  ``var.x`` of a module follows the module call's expression, and ``module.m.out`` the
  output's expression inside the called module. Nested blocks are followed too
  (``plan_unknowns.py``).

Pure: takes decoded JSON, returns records; a malformed plan raises ``InputError`` naming
the JSON path of the problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from iamscope.collect.terraform.plan_unknowns import KNOWN_AFTER_APPLY, with_unknowns
from iamscope.collect.terraform.resources import TerraformReading, TerraformResource
from iamscope.errors import InputError
from iamscope.model.source import SourceRef

MAX_MODULE_DEPTH = 64
_FORMAT_VERSION = re.compile(r"^(\d+)\.(\d+)$")


def is_plan(data: Any) -> bool:
    """Whether decoded JSON looks like ``terraform show -json`` output of a plan."""
    return (isinstance(data, dict) and "format_version" in data
            and ("terraform_version" in data or "planned_values" in data))


def read_plan(data: Any, *, where: str = "plan") -> TerraformReading:
    """Read a decoded plan; ``where`` names it in errors and warnings."""
    _check_version(data, where)
    config = ConfigIndex(_object(data.get("configuration"), f"{where}: configuration"), where)
    warnings: list[str] = []
    planned: dict[str, TerraformResource] = {}
    planned_values = _object(data.get("planned_values"), f"{where}: planned_values")
    for item, module, path in _module_resources(planned_values.get("root_module"),
                                                f"{where}: planned_values.root_module"):
        record = _record(item, module, path, config)
        planned[record.address] = record
    for index, change in enumerate(_list(data.get("resource_changes"),
                                         f"{where}: resource_changes")):
        _apply_change(planned, change, f"{where}: resource_changes[{index}]", config, warnings)
    prior = _prior(data, where, config)
    if prior is not None:
        for record in prior:
            if record.mode == "data" and record.address not in planned:
                planned[record.address] = record
    notes = (f"read from a Terraform plan (format {data['format_version']}, Terraform "
             f"{data.get('terraform_version') or 'version not stated'})",)
    return TerraformReading(resources=tuple(planned.values()), warnings=tuple(warnings),
                            prior=prior, notes=notes)


def _check_version(data: Any, where: str) -> None:
    if not isinstance(data, dict):
        raise InputError(f"{where}: not a Terraform plan (expected a JSON object)")
    version = data.get("format_version")
    match = _FORMAT_VERSION.match(version) if isinstance(version, str) else None
    if match is None:
        raise InputError(f"{where}: not a Terraform plan: format_version must be a string such "
                         f"as \"1.2\", not {_shown(version)}")
    if int(match.group(1)) > 1:
        raise InputError(f"{where}: plan format_version {version} is not supported (this "
                         "version of iamscope reads 0.x and 1.x)")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{where} must be an object, not {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{where} must be a list, not {type(value).__name__}")
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"{where} must be a non-empty string, not {_shown(value)}")
    return value


def _module_resources(module: Any, where: str, depth: int = 0
                      ) -> Iterator[tuple[dict[str, Any], str, str]]:
    """(resource object, module address, JSON path) for a module and its children."""
    if depth > MAX_MODULE_DEPTH:
        raise InputError(f"{where}: modules nested more than {MAX_MODULE_DEPTH} deep")
    module = _object(module, where)
    address = module.get("address") or ""
    if not isinstance(address, str):
        raise InputError(f"{where}.address must be a string")
    for index, item in enumerate(_list(module.get("resources"), f"{where}.resources")):
        yield _object(item, f"{where}.resources[{index}]"), address, f"{where}.resources[{index}]"
    for index, child in enumerate(_list(module.get("child_modules"), f"{where}.child_modules")):
        yield from _module_resources(child, f"{where}.child_modules[{index}]", depth + 1)


def _record(item: dict[str, Any], module: str, where: str, config: ConfigIndex,
            values: Any = None, unknown: Any = None) -> TerraformResource:
    address = _string(item.get("address"), f"{where}.address")
    kind = _string(item.get("type"), f"{where}.type")
    name = _string(item.get("name"), f"{where}.name")
    mode = item.get("mode") or "managed"
    if mode not in ("managed", "data"):
        raise InputError(f"{where}.mode must be \"managed\" or \"data\", not {_shown(mode)}")
    raw_values = item.get("values") if values is None else values
    attributes = _object(raw_values, f"{where}.values")
    if unknown is not None:
        def refer(expression: Any, exact: bool) -> str | None:
            return config.reference(expression, module, exact=exact)

        attributes = with_unknowns(attributes, unknown, config.expressions(address), refer,
                                   f"{where}.change.after_unknown")
    return TerraformResource(address=address, type=kind, name=name, values=attributes,
                             mode=mode, module=module or "",
                             source=SourceRef(address=address))


def _apply_change(planned: dict[str, TerraformResource], change: Any, where: str,
                  config: ConfigIndex, warnings: list[str]) -> None:
    change = _object(change, where)
    if change.get("deposed"):
        return  # a deposed object is about to be destroyed
    address = _string(change.get("address"), f"{where}.address")
    body = _object(change.get("change"), f"{where}.change")
    actions = _list(body.get("actions"), f"{where}.change.actions")
    if not all(isinstance(a, str) for a in actions):
        raise InputError(f"{where}.change.actions must be a list of strings")
    if "delete" in actions and "create" not in actions:
        planned.pop(address, None)
        return
    after = body.get("after")
    unknown = _object(body.get("after_unknown"), f"{where}.change.after_unknown")
    if after is None and not unknown:
        return
    module = change.get("module_address") or _module_of(address)
    if not isinstance(module, str):
        raise InputError(f"{where}.module_address must be a string")
    if not unknown and address in planned:
        return  # planned_values already holds the same known values
    base = planned[address].values if address in planned else {}
    merged = {**base, **_object(after, f"{where}.change.after")}
    planned[address] = record = _record(change, module, where, config, values=merged,
                                        unknown=unknown or {})
    if record.mode == "data" and "read" in actions and unknown:
        warnings.append(f"{address}: data source is read during apply; its unknown "
                        "attributes are treated conservatively")


def _prior(data: dict[str, Any], where: str, config: ConfigIndex
           ) -> tuple[TerraformResource, ...] | None:
    state = data.get("prior_state")
    if state is None:
        return None
    state = _object(state, f"{where}: prior_state")
    values = _object(state.get("values"), f"{where}: prior_state.values")
    return tuple(_record(item, module, path, config) for item, module, path in
                 _module_resources(values.get("root_module"),
                                   f"{where}: prior_state.values.root_module"))


def _module_of(address: str) -> str:
    """``module.a["x"].module.b`` from ``module.a["x"].module.b.aws_iam_role.r[0]``."""
    parts = split_address(address)
    module: list[str] = []
    index = 0
    while index + 1 < len(parts) and parts[index] == "module":
        module.extend(parts[index:index + 2])
        index += 2
    return ".".join(module)


def split_address(address: str) -> list[str]:
    """Dot-separated parts of an address; an index (``["a.b"]``, ``[0]``) stays with the
    part it follows, and dots inside quotes do not split."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    depth = 0
    previous = ""
    for char in address:
        if quoted:
            quoted = not (char == '"' and previous != "\\")
        elif char == '"':
            quoted = True
        elif char == "[":
            depth += 1
        elif char == "]":
            depth = max(depth - 1, 0)
        elif char == "." and depth == 0:
            parts.append("".join(current))
            current = []
            previous = char
            continue
        current.append(char)
        previous = char
    parts.append("".join(current))
    return parts


def config_address(address: str) -> str:
    """An instance address without its instance keys: ``module.a.aws_iam_role.r`` for
    ``module.a["x"].aws_iam_role.r[0]``."""
    return ".".join(part.split("[", 1)[0] for part in split_address(address))


class ConfigIndex:
    """The ``configuration`` section: attribute references per configured resource."""

    def __init__(self, configuration: dict[str, Any], where: str):
        self._where = where
        self._resources: dict[str, dict[str, Any]] = {}
        self._module_inputs: dict[str, dict[str, Any]] = {}
        self._outputs: dict[str, dict[str, Any]] = {}  # module path -> output -> expression
        root = configuration.get("root_module")
        self._index(_object(root, f"{where}: configuration.root_module"), "",
                    f"{where}: configuration.root_module", 0)

    def _index(self, module: dict[str, Any], prefix: str, where: str, depth: int) -> None:
        if depth > MAX_MODULE_DEPTH:
            raise InputError(f"{where}: module calls nested more than {MAX_MODULE_DEPTH} deep")
        outputs = _object(module.get("outputs"), f"{where}.outputs")
        self._outputs[prefix.removesuffix(".")] = {
            name: _object(output, f"{where}.outputs.{name}").get("expression")
            for name, output in outputs.items()}
        for index, item in enumerate(_list(module.get("resources"), f"{where}.resources")):
            item = _object(item, f"{where}.resources[{index}]")
            address = item.get("address")
            if isinstance(address, str):
                expressions = _object(item.get("expressions"),
                                      f"{where}.resources[{index}].expressions")
                self._resources[f"{prefix}{address}"] = expressions
        calls = _object(module.get("module_calls"), f"{where}.module_calls")
        for name, call in calls.items():
            call = _object(call, f"{where}.module_calls.{name}")
            path = f"{prefix}module.{name}"
            self._module_inputs[path] = _object(call.get("expressions"),
                                                f"{where}.module_calls.{name}.expressions")
            self._index(_object(call.get("module"), f"{where}.module_calls.{name}.module"),
                        f"{path}.", f"{where}.module_calls.{name}.module", depth + 1)

    def expressions(self, address: str) -> dict[str, Any]:
        """The configured resource's ``expressions`` (block body), or ``{}``."""
        return self._resources.get(config_address(address)) or {}

    def references(self, address: str, module: str) -> dict[str, str]:
        """Top-level attribute -> the most specific address it references, made absolute
        (prefixed with the instance's module address); ``var.x`` inside a module follows
        the module call's input one level up."""
        found: dict[str, str] = {}
        for attribute, expression in self.expressions(address).items():
            reference = self.reference(expression, module)
            if reference is not None:
                found[attribute] = reference
        return found

    def reference(self, expression: Any, module: str, *, exact: bool = False) -> str | None:
        """What an expression references, made absolute; with ``exact``, only when it
        references one attribute (its other references are that attribute's prefixes)."""
        return self._resolve(_first_reference(expression, exact), module, 0, exact)

    def _resolve(self, reference: str | None, module: str, depth: int,
                 exact: bool = False) -> str | None:
        if reference is None or depth > MAX_MODULE_DEPTH:
            return None
        if reference.startswith("var.") and module:
            name = split_address(reference)[1].split("[", 1)[0]
            inputs = self._module_inputs.get(config_address(module)) or {}
            parent = ".".join(split_address(module)[:-2])
            return self._resolve(_first_reference(inputs.get(name), exact), parent, depth + 1,
                                 exact)
        if reference.startswith(("var.", "local.", "each.", "count.", "path.", "terraform.")):
            return None
        parts = split_address(reference)
        if parts[0] == "module" and len(parts) >= 3:
            # module.NAME.OUTPUT: the output's own expression, inside the called module
            # (an instance key on NAME, ``module.p["x"].arn``, names the instance).
            called = f"{module}.module.{parts[1]}" if module else f"module.{parts[1]}"
            outputs = self._outputs.get(config_address(called)) or {}
            return self._resolve(_first_reference(outputs.get(parts[2]), exact), called,
                                 depth + 1, exact)
        return f"{module}.{reference}" if module else reference


def _first_reference(expression: Any, exact: bool = False) -> str | None:
    if not isinstance(expression, dict):
        return None
    references = expression.get("references")
    if not (isinstance(references, list) and references and isinstance(references[0], str)):
        return None
    first = references[0]
    if exact and not all(isinstance(r, str) and (r == first or first.startswith((
            f"{r}.", f"{r}["))) for r in references):
        return None
    return first


__all__ = ["KNOWN_AFTER_APPLY", "ConfigIndex", "config_address", "is_plan", "read_plan",
           "split_address"]
