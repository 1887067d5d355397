"""``read_hcl``: a directory of ``.tf`` (and ``.tf.json``) files -> ``TerraformReading``.

Variables come, lowest precedence first, from their defaults, ``terraform.tfvars``,
``terraform.tfvars.json``, ``*.auto.tfvars`` / ``*.auto.tfvars.json`` (by name), the
``var_files`` in order, and ``variables`` (``-var``), as Terraform orders them
(https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from iamscope.collect.terraform.hcl.evaluate import Evaluator, Frame
from iamscope.collect.terraform.hcl.modules import Instance, ModuleInstance, root_inputs
from iamscope.collect.terraform.hcl.parse import MAX_FILE_BYTES, parse_body, parse_expression
from iamscope.collect.terraform.hcl.reading import Reading, Settings
from iamscope.collect.terraform.hcl.suppressions import find_suppressions
from iamscope.collect.terraform.hcl.values import Problem
from iamscope.collect.terraform.resources import TerraformReading, TerraformResource
from iamscope.errors import InputError
from iamscope.model.source import SourceRef


def read_hcl(directory: Path, *, variables: dict[str, Any] | None = None,
             var_files: Sequence[Path] = (), account: str | None = None,
             region: str | None = None, partition: str = "aws") -> TerraformReading:
    """Read the Terraform configuration in ``directory`` (its root module)."""
    if not directory.is_dir():
        raise InputError(f"{directory}: not a directory")
    root = directory.resolve()
    warnings: list[str] = []
    reading = Reading(Settings(root, account, region, partition), warnings)
    config = reading.config(root)
    if not config.files:
        raise InputError(f"{directory}: no .tf files (nor .tf.json)")
    values = _variable_values(root, var_files, variables or {}, config.variables, warnings)
    module = ModuleInstance(reading, config, "", root_inputs(values), 0)
    records = [_record(instance, reading, warnings) for instance in module.instances()]
    notes = (f"read from Terraform HCL source ({len(records)} resource instances) by static "
             "evaluation; values known only after apply are unknown",)
    return TerraformReading(resources=tuple(records), warnings=tuple(warnings), notes=notes)


def _record(instance: Instance, reading: Reading, warnings: list[str]) -> TerraformResource:
    declared = instance.declared
    block = declared.block
    suppressions = find_suppressions(reading.lines(declared.file), block.line, block.end_line,
                                     declared.file, instance.address, warnings)
    return TerraformResource(
        address=instance.address, type=instance.kind, name=instance.name,
        values=dict(instance.value.values), mode=instance.mode,
        module=instance.module,
        source=SourceRef(file=declared.file, line=declared.block.line,
                         address=instance.address),
        suppressions=suppressions)


def _variable_values(root: Path, var_files: Sequence[Path], given: dict[str, Any],
                     declared: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    automatic = [root / "terraform.tfvars", root / "terraform.tfvars.json"]
    automatic += sorted(p for p in root.glob("*.auto.tfvars*")
                        if p.name.endswith((".auto.tfvars", ".auto.tfvars.json")))
    for path in [p for p in automatic if p.is_file()] + list(var_files):
        values.update(read_var_file(path, root, warnings))
    for name, value in given.items():
        values[name] = _typed_cli_value(name, value, declared, warnings)
    for name in values:
        if name not in declared:
            warnings.append(f"a value is given for the undeclared variable {name!r}; ignored")
    return values


def read_var_file(path: Path, root: Path, warnings: list[str]) -> dict[str, Any]:
    """A ``.tfvars`` (HCL attributes) or ``.tfvars.json`` (JSON object) file."""
    where = path.relative_to(root).as_posix() if path.resolve().is_relative_to(root) \
        else str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"{where}: larger than {MAX_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{where}: cannot read: {error}") from None
    if path.name.endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(f"{where}:{error.lineno}: invalid JSON ({error.msg})") from None
        if not isinstance(data, dict):
            raise InputError(f"{where}: a variables file must hold a JSON object")
        return data
    body = parse_body(text, where, warnings)
    evaluator = Evaluator(warnings)
    frame = Frame(_ConstantScope(), where)
    return {name: evaluator.plain(attribute.expr, frame)
            for name, attribute in body.attributes.items()}


def _typed_cli_value(name: str, value: Any, declared: dict[str, Any],
                     warnings: list[str]) -> Any:
    """A ``-var`` string for a variable of a non-string type is an HCL expression."""
    variable = declared.get(name)
    if not isinstance(value, str) or variable is None:
        return value
    type_attr = variable.block.body.attributes.get("type")
    type_name = getattr(type_attr.expr, "name", None) if type_attr is not None else None
    if type_attr is None or type_name == "string":
        return value
    try:
        expression = parse_expression(value, f"-var {name}", warnings)
    except InputError:
        return value
    return Evaluator(warnings).plain(expression, Frame(_ConstantScope(), f"-var {name}"))


class _ConstantScope:
    """Variables files and ``-var`` values may not refer to anything."""

    def root(self, name: str, line: int) -> Any:
        raise Problem(f"{name!r}: variable values cannot refer to other values", line)

    def read_file(self, path: str, line: int) -> str:
        raise Problem("functions reading files are not allowed here", line)

    def render_template(self, path: str, variables: dict[str, Any], line: int) -> Any:
        raise Problem("functions reading files are not allowed here", line)
