"""`iamscope check` through click on inventory files: formats, exit codes, -o, baselines,
and clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from iamscope.cli.main import EXIT_FAILED, EXIT_INPUT, EXIT_OK, _register, cli
from iamscope.model.snapshot import inventory_to_dict
from tests.ci import scenarios
from tests.conftest import REPO
from tests.graph.builders import account, allow, collection, doc, role, trust

_register()
SCHEMA = json.loads((REPO / "tests/data/sarif-schema-2.1.0.json").read_text())


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


def _write(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def _safe(tmp_path: Path) -> str:
    scoped = role("reader", trust({"Service": "lambda.amazonaws.com"}), inline={
        "read": doc(allow("s3:GetObject", "arn:aws:s3:::reports/*"))})
    return _write(tmp_path, "safe.json", collection(account(roles=[scoped])))


def test_safe_inventory_passes(tmp_path: Path) -> None:
    code, out, _ = run(_safe(tmp_path))
    assert code == EXIT_OK
    assert out.splitlines()[0] == "iamscope check (inventory, 1 account(s)): passed (fail " \
                                  "on high and above)"


def test_risky_inventory_fails_and_fail_on_moves_the_threshold(tmp_path: Path) -> None:
    target = _write(tmp_path, "plan-state.json", inventory_to_dict(scenarios.after()))
    assert run(target)[0] == EXIT_FAILED
    assert run(target, "--fail-on", "none")[0] == EXIT_OK
    code, out, _ = run(target, "--fail-on", "critical", "--format", "json")
    data = json.loads(out)
    assert code == (EXIT_FAILED if data["summary"]["by_severity"].get("critical") else EXIT_OK)


def test_sarif_to_a_file_validates(tmp_path: Path) -> None:
    target = _write(tmp_path, "state.json", inventory_to_dict(scenarios.after()))
    report = tmp_path / "out.sarif"
    code, out, _ = run(target, "--format", "sarif", "-o", str(report), "--fail-on", "none")
    assert (code, out) == (EXIT_OK, "")
    document = json.loads(report.read_text())
    jsonschema.validate(document, SCHEMA)
    assert document["runs"][0]["results"]


def test_markdown_to_stdout(tmp_path: Path) -> None:
    code, out, _ = run(_safe(tmp_path), "--format", "markdown")
    assert code == EXIT_OK and out.startswith("## iamscope check: ✅ passed")


def test_write_baseline_then_check_against_it(tmp_path: Path) -> None:
    target = _write(tmp_path, "state.json", inventory_to_dict(scenarios.after()))
    accepted = tmp_path / "baseline.json"
    code, _, err = run(target, "--write-baseline", str(accepted))
    assert code == EXIT_OK and "fingerprints to" in err
    document = json.loads(accepted.read_text())
    assert document["format"] == "iamscope-baseline" and document["findings"]
    code, out, _ = run(target, "--baseline", str(accepted), "--format", "json")
    data = json.loads(out)
    assert code == EXIT_OK
    assert data["summary"]["active"] == 0
    assert data["summary"]["suppressed"] == len(document["findings"])


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path / "missing.json"))
    assert code == EXIT_INPUT and "no such file" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, _, err = run(str(broken))
    assert code == EXIT_INPUT and "Traceback" not in err
    bad_baseline = _write(tmp_path, "b.json", {"format": "nope"})
    code, _, err = run(_safe(tmp_path), "--baseline", bad_baseline)
    assert code == EXIT_INPUT and "not an iamscope baseline" in err
    code, _, err = run(str(tmp_path), "--var", "novalue")
    assert code == EXIT_INPUT and ("NAME=VALUE" in err or "Terraform" in err)


def test_inline_suppression_of_an_unknown_rule_is_a_warning_not_a_silent_no_op(
        tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('''
# iamscope:ignore IAMSCOPE-AWS-01 a typo of IAMSCOPE-AWS-001
resource "aws_iam_policy" "admin" {
  name   = "admin"
  policy = jsonencode({Version = "2012-10-17",
                       Statement = [{Effect = "Allow", Action = "*", Resource = "*"}]})
}
''')
    code, out, _ = run(str(tmp_path), "--format", "json", "--fail-on", "none")
    assert code == EXIT_OK
    report = json.loads(out)
    assert any("'IAMSCOPE-AWS-01', which is not a rule id" in w and "main.tf:2" in w
               for w in report["warnings"]), report["warnings"]
    assert not any(f["suppressed"] for f in report["findings"])
