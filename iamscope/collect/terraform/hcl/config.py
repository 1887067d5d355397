"""A module directory's declarations: variables, locals, resources, module calls, outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from iamscope.collect.terraform.hcl.json_syntax import read_json_source_file
from iamscope.collect.terraform.hcl.parse import read_source_file
from iamscope.collect.terraform.hcl.syntax import Attribute, Block, SourceFile
from iamscope.errors import InputError

MAX_FILES = 2_000
CONFIGURATION_SUFFIXES = (".tf", ".tf.json")


@dataclass(frozen=True, slots=True)
class Declared:
    """A block and the file it is written in (relative to the root directory)."""

    block: Block
    file: str


@dataclass(frozen=True, slots=True)
class Assigned:
    """A ``locals`` entry or an ``output`` value, and its file."""

    attribute: Attribute
    file: str


@dataclass
class ModuleConfig:
    directory: Path  # resolved
    relative: str  # "." for the root module, else the path from the root directory
    files: dict[str, SourceFile] = field(default_factory=dict)
    variables: dict[str, Declared] = field(default_factory=dict)
    locals: dict[str, Assigned] = field(default_factory=dict)
    resources: dict[tuple[str, str, str], Declared] = field(default_factory=dict)
    module_calls: dict[str, Declared] = field(default_factory=dict)
    outputs: dict[str, Assigned] = field(default_factory=dict)

    def has_type(self, mode: str, kind: str) -> bool:
        return any(key[0] == mode and key[1] == kind for key in self.resources)


def load_module_config(directory: Path, root: Path, warnings: list[str]) -> ModuleConfig:
    """Parse every ``.tf`` and ``.tf.json`` file of ``directory`` (sorted by name, as
    Terraform reads them)."""
    relative = directory.relative_to(root).as_posix() if directory != root else "."
    config = ModuleConfig(directory=directory, relative=relative)
    paths = sorted(p for p in directory.iterdir()
                   if p.name.endswith(CONFIGURATION_SUFFIXES) and p.is_file())
    overrides = [p for p in paths if _is_override(p.name)]
    if overrides:
        warnings.append(f"{relative}: override files are not merged by the HCL reader; "
                        f"ignored: {', '.join(p.name for p in overrides)}")
        paths = [p for p in paths if p not in overrides]
    if len(paths) > MAX_FILES:
        raise InputError(f"{relative}: more than {MAX_FILES} .tf files")
    for path in paths:
        name = path.relative_to(root).as_posix()
        if path.name.endswith(".tf.json"):
            source = read_json_source_file(path, name, warnings)
        else:
            source = read_source_file(path, name, warnings)
        config.files[name] = source
        _declare(config, source)
    return config


def _is_override(name: str) -> bool:
    """``override.tf``, ``*_override.tf`` and their ``.tf.json`` forms (Terraform docs,
    Override Files)."""
    stem = name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


def _declare(config: ModuleConfig, source: SourceFile) -> None:
    for block in source.body.blocks:
        where = f"{source.path}:{block.line}"
        if block.type in ("resource", "data") and len(block.labels) == 2:
            mode = "managed" if block.type == "resource" else "data"
            key = (mode, block.labels[0], block.labels[1])
            _unique(config.resources, key, Declared(block, source.path), where,
                    f"{block.type} {block.labels[0]}.{block.labels[1]}")
        elif block.type == "variable" and len(block.labels) == 1:
            _unique(config.variables, block.labels[0], Declared(block, source.path), where,
                    f"variable {block.labels[0]}")
        elif block.type == "module" and len(block.labels) == 1:
            _unique(config.module_calls, block.labels[0], Declared(block, source.path),
                    where, f"module {block.labels[0]}")
        elif block.type == "output" and len(block.labels) == 1:
            value = block.body.attributes.get("value")
            if value is not None:
                _unique(config.outputs, block.labels[0], Assigned(value, source.path), where,
                        f"output {block.labels[0]}")
        elif block.type == "locals":
            for name, attribute in block.body.attributes.items():
                _unique(config.locals, name, Assigned(attribute, source.path),
                        f"{source.path}:{attribute.line}", f"local {name}")


def _unique(table: dict, key: object, value: Declared | Assigned, where: str,
            what: str) -> None:
    if key in table:
        first = table[key]
        line = first.block.line if isinstance(first, Declared) else first.attribute.line
        raise InputError(f"{where}: {what} is declared twice (first at {first.file}:{line})")
    table[key] = value
