"""State shared by every module instance of one ``read_hcl`` call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from iamscope.collect.terraform.hcl.config import ModuleConfig, load_module_config
from iamscope.collect.terraform.hcl.evaluate import Evaluator
from iamscope.collect.terraform.hcl.parse import MAX_FILE_BYTES
from iamscope.collect.terraform.hcl.values import Problem


@dataclass(frozen=True, slots=True)
class Settings:
    """Reader-wide facts: where files may be read from, what data sources return."""

    root: Path  # resolved root directory
    account: str | None
    region: str | None
    partition: str


class Reading:
    """State shared by all module instances of one ``read_hcl`` call."""

    def __init__(self, settings: Settings, warnings: list[str]):
        self.settings = settings
        self.warnings = warnings
        self.evaluator = Evaluator(warnings)
        self._configs: dict[Path, ModuleConfig] = {}
        self._lines: dict[str, list[str]] = {}

    def config(self, directory: Path) -> ModuleConfig:
        if directory not in self._configs:
            self._configs[directory] = load_module_config(directory, self.settings.root,
                                                          self.warnings)
        return self._configs[directory]

    def lines(self, file: str) -> list[str]:
        """The lines of a parsed ``.tf`` file (for suppression comments)."""
        if file not in self._lines:
            for config in self._configs.values():
                if file in config.files:
                    self._lines[file] = config.files[file].text.splitlines()
                    break
        return self._lines.get(file, [])

    def read_file(self, path: str, line: int) -> str:
        """A file named by ``file()``/``templatefile()``: inside the root directory only."""
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = self.settings.root / candidate
        resolved = candidate.resolve()
        if not resolved.is_relative_to(self.settings.root):
            raise Problem(f"{path!r} is outside the configuration directory; not read", line)
        try:
            if resolved.stat().st_size > MAX_FILE_BYTES:
                raise Problem(f"{path!r} is larger than {MAX_FILE_BYTES} bytes; not read", line)
            return resolved.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise Problem(f"cannot read {path!r}: {getattr(error, 'strerror', None) or error}",
                          line) from None
