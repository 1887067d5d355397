"""Module instances: what names mean inside a module, resources expanded by count/for_each,
local child modules with inputs and outputs.

A ``ModuleInstance`` is the ``Scope`` of every expression written in its module. Resources,
locals, variables, outputs and module calls are evaluated lazily, once (``Evaluator.memo``),
so only what is referenced or recorded is computed, and cycles are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iamscope.collect.terraform.aws_context import static_identity
from iamscope.collect.terraform.gcp_identity import computed_attributes
from iamscope.collect.terraform.hcl.config import Declared, ModuleConfig
from iamscope.collect.terraform.hcl.data_sources import computed_values
from iamscope.collect.terraform.hcl.evaluate import Frame
from iamscope.collect.terraform.hcl.operations import reference_of
from iamscope.collect.terraform.hcl.parse import parse_template
from iamscope.collect.terraform.hcl.reading import Reading
from iamscope.collect.terraform.hcl.syntax import Block, Body
from iamscope.collect.terraform.hcl.values import (
    InstanceValue,
    ModuleOutputs,
    Namespace,
    Problem,
    type_name,
)
from iamscope.collect.terraform.resources import TerraformResource, Unknown

MAX_MODULE_DEPTH = 16
MAX_INSTANCES = 10_000
META_ARGUMENTS = frozenset({"count", "for_each", "depends_on", "provider", "lifecycle",
                            "provisioner", "connection", "providers", "source", "version"})


@dataclass(frozen=True, slots=True)
class Instance:
    """One expanded resource instance, as recorded."""

    address: str
    declared: Declared
    value: InstanceValue
    mode: str
    kind: str
    name: str
    module: str  # "" for the root module, else the module instance address


class _TemplateScope:
    """Names visible in a ``templatefile()`` template: only its variables."""

    def __init__(self, module: ModuleInstance):
        self.module = module

    def root(self, name: str, line: int) -> Any:
        raise Problem(f"{name!r} is not a variable of the template", line)

    def read_file(self, path: str, line: int) -> str:
        return self.module.read_file(path, line)

    def render_template(self, path: str, variables: dict[str, Any], line: int) -> Any:
        return self.module.render_template(path, variables, line)


class ModuleInstance:
    def __init__(self, reading: Reading, config: ModuleConfig, address: str,
                 inputs: Callable[[str], tuple[bool, Any]], depth: int):
        self.reading = reading
        self.config = config
        self.address = address  # "" for the root module
        self.prefix = f"{address}." if address else ""
        self._inputs = inputs
        self.depth = depth

    # -- Scope ------------------------------------------------------------------------------

    def root(self, name: str, line: int) -> Any:
        if name == "var":
            return Namespace("var", lambda n: self.variable(n, line))
        if name == "local":
            return Namespace("local", lambda n: self.local(n, line))
        if name == "data":
            return Namespace("data", lambda kind: self._resource_namespace("data", kind, line))
        if name == "module":
            return Namespace("module", lambda n: self.module_value(n, line))
        if name == "path":
            return {"module": self.config.relative, "root": ".", "cwd": "."}
        if name == "terraform":
            return {"workspace": "default"}
        if self.config.has_type("managed", name):
            return self._resource_namespace("managed", name, line)
        if name in ("count", "each", "self"):
            raise Problem(f"{name!r} is not available here", line)
        raise Problem(f"unknown name {name!r} (not a declared resource type)", line)

    def read_file(self, path: str, line: int) -> str:
        return self.reading.read_file(path, line)

    def render_template(self, path: str, variables: dict[str, Any], line: int) -> Any:
        """``templatefile(path, variables)``: messages name the template file and its lines."""
        text = self.reading.read_file(path, line)
        template = parse_template(text, path, self.reading.warnings)
        frame = Frame(_TemplateScope(self), path, dict(variables))
        return self.reading.evaluator.value(template, frame)

    # -- named values -------------------------------------------------------------------------

    def variable(self, name: str, line: int) -> Any:
        declared = self.config.variables.get(name)
        if declared is None:
            raise Problem(f"undeclared variable var.{name}", line)
        return self.reading.evaluator.memo(
            f"{self.prefix}var.{name}", lambda: self._variable(name, declared),
            f"{declared.file}:{declared.block.line}")

    def _variable(self, name: str, declared: Declared) -> Any:
        given, value = self._inputs(name)
        if given:
            return value
        default = declared.block.body.attributes.get("default")
        if default is not None:
            return self.reading.evaluator.value(default.expr, Frame(self, declared.file))
        self.reading.evaluator.warn(f"{declared.file}:{declared.block.line}: variable "
                                    f"{self.prefix}var.{name} has no default and no value "
                                    "was given; it is unknown")
        return Unknown(f"variable {name} has no value", reference=f"{self.prefix}var.{name}")

    def local(self, name: str, line: int) -> Any:
        assigned = self.config.locals.get(name)
        if assigned is None:
            raise Problem(f"undeclared local value local.{name}", line)
        return self.reading.evaluator.memo(
            f"{self.prefix}local.{name}",
            lambda: self.reading.evaluator.value(assigned.attribute.expr,
                                                 Frame(self, assigned.file)),
            f"{assigned.file}:{assigned.attribute.line}")

    def output(self, name: str, line: int) -> Any:
        assigned = self.config.outputs.get(name)
        if assigned is None:
            raise Problem(f"module {self.address} has no output {name!r}", line)
        return self.reading.evaluator.memo(
            f"{self.prefix}output.{name}",
            lambda: self.reading.evaluator.value(assigned.attribute.expr,
                                                 Frame(self, assigned.file)),
            f"{assigned.file}:{assigned.attribute.line}")

    # -- resources ------------------------------------------------------------------------------

    def _resource_namespace(self, mode: str, kind: str, line: int) -> Namespace:
        path = f"data.{kind}" if mode == "data" else kind
        return Namespace(path, lambda name: self.resource_value(mode, kind, name, line))

    def resource_value(self, mode: str, kind: str, name: str, line: int) -> Any:
        """What ``aws_iam_role.x`` means: an instance, a list (count) or a map (for_each)."""
        if (mode, kind, name) not in self.config.resources:
            what = f"data.{kind}.{name}" if mode == "data" else f"{kind}.{name}"
            raise Problem(f"reference to undeclared {what}", line)
        return self.resource_instances(mode, kind, name)[0]

    def resource_instances(self, mode: str, kind: str, name: str
                           ) -> tuple[Any, tuple[Instance, ...]]:
        declared = self.config.resources[(mode, kind, name)]
        base = f"{self.prefix}{'data.' if mode == 'data' else ''}{kind}.{name}"
        return self.reading.evaluator.memo(
            base, lambda: self._expand(declared, base, mode, kind, name),
            f"{declared.file}:{declared.block.line}", lambda unknown: (unknown, ()))

    def _expand(self, declared: Declared, base: str, mode: str, kind: str, name: str
                ) -> tuple[Any, tuple[Instance, ...]]:
        keys, shape = self._repetition(declared.block, declared.file, base)
        instances: list[Instance] = []
        for key, names in keys:
            address = base if key is None else reference_of(base, key) or base
            frame = Frame(self, declared.file, names)
            values = self.body_values(declared.block.body, frame)
            if mode == "data":
                values.update(computed_values(kind, values, address, self.reading.settings))
            for attribute, value in self._computed(mode, kind, name, address, values).items():
                values.setdefault(attribute, value)
            instances.append(Instance(address, declared, InstanceValue(address, values),
                                      mode, kind, name, self.address))
        if isinstance(shape, Unknown):
            return shape, tuple(instances)
        if shape == "list":
            return [i.value for i in instances], tuple(instances)
        if shape == "map":
            return {k: i.value for (k, _), i in zip(keys, instances, strict=True)}, tuple(instances)
        return instances[0].value, tuple(instances)

    def _computed(self, mode: str, kind: str, name: str, address: str,
                  values: dict[str, Any]) -> dict[str, Any]:
        """Attributes the provider computes from the arguments alone (identities: ARNs,
        service-account emails, policy data), so references to them are known exactly."""
        computed = computed_attributes(kind, values, address)
        settings = self.reading.settings
        if mode == "managed" and kind.startswith("aws_") and settings.account and \
                settings.region:
            record = TerraformResource(address, kind, name, values)
            computed.update(static_identity(record, settings.account, settings.region,
                                            settings.partition))
        return computed

    def _repetition(self, block: Block, file: str, base: str
                    ) -> tuple[list[tuple[Any, dict[str, Any]]], Any]:
        """Instance keys with the names they bind, and the shape of the reference value."""
        evaluator = self.reading.evaluator
        attributes = block.body.attributes
        frame = Frame(self, file)
        if "count" in attributes:
            count = evaluator.plain(attributes["count"].expr, frame)
            if isinstance(count, (int, float)) and not isinstance(count, bool) \
                    and 0 <= count <= MAX_INSTANCES:
                return [(i, {"count": {"index": i}}) for i in range(int(count))], "list"
            return self._unknown_repetition("count", count, file, attributes["count"].line,
                                            base)
        if "for_each" in attributes:
            items = evaluator.plain(attributes["for_each"].expr, frame)
            if isinstance(items, list) and all(isinstance(i, str) for i in items):
                items = {item: item for item in items}
            if isinstance(items, dict) and len(items) <= MAX_INSTANCES:
                return [(key, {"each": {"key": key, "value": items[key]}})
                        for key in sorted(items)], "map"
            return self._unknown_repetition("for_each", items, file,
                                            attributes["for_each"].line, base)
        return [(None, {})], "single"

    def _unknown_repetition(self, argument: str, value: Any, file: str, line: int, base: str
                            ) -> tuple[list[tuple[Any, dict[str, Any]]], Any]:
        reason = (value.reason if isinstance(value, Unknown)
                  else f"{argument} must be a number, map or set of strings, not "
                       f"{type_name(value)}")
        self.reading.evaluator.warn(f"{file}:{line}: {base}: {argument} is not known "
                                    f"statically ({reason}); read as one instance")
        unknown = Unknown(f"{argument} of {base} is not known", reference=base)
        names = {"count": {"index": unknown}} if argument == "count" else {
            "each": {"key": unknown, "value": unknown}}
        return [(None, names)], unknown

    def body_values(self, body: Body, frame: Frame) -> dict[str, Any]:
        """Arguments and nested blocks (lists of objects), ``dynamic`` blocks expanded."""
        evaluator = self.reading.evaluator
        values: dict[str, Any] = {}
        for name, attribute in body.attributes.items():
            if name not in META_ARGUMENTS:
                values[name] = evaluator.plain(attribute.expr, frame)
        for block in body.blocks:
            if block.type in META_ARGUMENTS:
                continue
            if block.type == "dynamic" and block.labels:
                values.setdefault(block.labels[0], []).extend(self._dynamic(block, frame))
            else:
                values.setdefault(block.type, []).append(self.body_values(block.body, frame))
        return values

    def _dynamic(self, block: Block, frame: Frame) -> list[Any]:
        evaluator = self.reading.evaluator
        label = block.labels[0]
        iterator_attr = block.body.attributes.get("iterator")
        iterator = label
        if iterator_attr is not None:
            iterator = getattr(iterator_attr.expr, "name", label)
        content = next((b for b in block.body.blocks if b.type == "content"), None)
        source = block.body.attributes.get("for_each")
        if content is None or source is None:
            evaluator.warn(f"{frame.file}:{block.line}: dynamic {label!r} without for_each "
                           "or content; ignored")
            return []
        items = evaluator.plain(source.expr, frame)
        if isinstance(items, list):
            pairs = list(enumerate(items))
        elif isinstance(items, dict):
            pairs = [(key, items[key]) for key in sorted(items)]
        else:
            reason = items.reason if isinstance(items, Unknown) else type_name(items)
            evaluator.warn(f"{frame.file}:{block.line}: dynamic {label!r}: for_each is not "
                           f"known statically ({reason}); its blocks are unknown")
            return [Unknown(f"dynamic {label} blocks: for_each is not known ({reason})")]
        return [self.body_values(content.body,
                                 frame.with_names(**{iterator: {"key": k, "value": v}}))
                for k, v in pairs[:MAX_INSTANCES]]

    # -- child modules --------------------------------------------------------------------------

    def module_value(self, name: str, line: int) -> Any:
        if name not in self.config.module_calls:
            raise Problem(f"reference to undeclared module.{name}", line)
        return self.module_instances(name)[0]

    def module_instances(self, name: str) -> tuple[Any, tuple[ModuleInstance, ...]]:
        declared = self.config.module_calls[name]
        base = f"{self.prefix}module.{name}"
        return self.reading.evaluator.memo(
            f"{base}#module", lambda: self._expand_module(declared, base),
            f"{declared.file}:{declared.block.line}", lambda unknown: (unknown, ()))

    def _expand_module(self, declared: Declared, base: str
                       ) -> tuple[Any, tuple[ModuleInstance, ...]]:
        where = f"{declared.file}:{declared.block.line}"
        directory, problem = self._module_directory(declared)
        if directory is None:
            self.reading.evaluator.warn(f"{where}: {base}: {problem}; its resources are "
                                        "absent from this reading")
            return _absent_module(base, problem), ()
        config = self.reading.config(directory)
        keys, shape = self._repetition(declared.block, declared.file, base)
        children: list[ModuleInstance] = []
        for key, names in keys:
            address = base if key is None else reference_of(base, key) or base
            frame = Frame(self, declared.file, names)
            children.append(ModuleInstance(self.reading, config, address,
                                           self._call_inputs(declared, config, frame),
                                           self.depth + 1))
        values = [ModuleOutputs(c.address, lambda n, c=c: c.output(n, declared.block.line),
                                lambda c=c: tuple(c.config.outputs)) for c in children]
        if isinstance(shape, Unknown):
            return shape, tuple(children)
        if shape == "list":
            return values, tuple(children)
        if shape == "map":
            return {k: v for (k, _), v in zip(keys, values, strict=True)}, tuple(children)
        return values[0], tuple(children)

    def _module_directory(self, declared: Declared) -> tuple[Path | None, str]:
        source_attr = declared.block.body.attributes.get("source")
        source = None
        if source_attr is not None:
            source = self.reading.evaluator.value(source_attr.expr, Frame(self, declared.file))
        if not isinstance(source, str):
            return None, "the module source is not a literal string"
        if not source.startswith(("./", "../")):
            return None, f"the module source {source!r} is not a local path (not fetched)"
        if self.depth + 1 > MAX_MODULE_DEPTH:
            return None, f"modules nested more than {MAX_MODULE_DEPTH} deep"
        directory = (self.config.directory / source).resolve()
        if not directory.is_relative_to(self.reading.settings.root):
            return None, f"the module source {source!r} is outside the configuration directory"
        if not directory.is_dir():
            return None, f"the module directory {source!r} does not exist"
        return directory, ""

    def _call_inputs(self, declared: Declared, config: ModuleConfig, frame: Frame
                     ) -> Callable[[str], tuple[bool, Any]]:
        arguments = declared.block.body.attributes
        for name, attribute in arguments.items():
            if name not in META_ARGUMENTS and name not in config.variables:
                self.reading.evaluator.warn(f"{declared.file}:{attribute.line}: module "
                                            f"{declared.block.labels[0]!r} has no variable "
                                            f"{name!r}; the argument is ignored")

        def inputs(name: str) -> tuple[bool, Any]:
            if name in arguments and name not in META_ARGUMENTS:
                return True, self.reading.evaluator.value(arguments[name].expr, frame)
            return False, None
        return inputs

    # -- collection -------------------------------------------------------------------------------

    def instances(self) -> list[Instance]:
        """Every resource instance of this module and its local child modules."""
        found: list[Instance] = []
        for mode, kind, name in self.config.resources:
            found.extend(self.resource_instances(mode, kind, name)[1])
        for name in self.config.module_calls:
            for child in self.module_instances(name)[1]:
                found.extend(child.instances())
        return found


def _absent_module(base: str, problem: str) -> ModuleOutputs:
    def output(name: str) -> Unknown:
        return Unknown(f"{base} is not read: {problem}", reference=f"{base}.{name}")
    return ModuleOutputs(base, output, lambda: ())


def root_inputs(values: dict[str, Any]) -> Callable[[str], tuple[bool, Any]]:
    def inputs(name: str) -> tuple[bool, Any]:
        return (True, values[name]) if name in values else (False, None)
    return inputs

