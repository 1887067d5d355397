"""Plans of older Terraform (format_version 0.2), plans with modules and unknowns, the
``--source DIR`` mapping of addresses to file and line, and decoding a plan once.

Format: https://developer.hashicorp.com/terraform/internals/json-format (Terraform 0.15 and
1.0 write format_version "0.2"; module instances appear under ``planned_values``'
``child_modules`` and ``configuration.root_module.module_calls``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from iamscope.cli.main import _register, cli
from iamscope.collect import files
from iamscope.collect.terraform.load import load_terraform
from iamscope.collect.terraform.plan import read_plan
from iamscope.collect.terraform.resources import Unknown
from iamscope.model.snapshot import read_snapshot
from tests.conftest import REPO

_register()
SOURCE = REPO / "fixtures" / "terraform" / "plan_source"
PLANS = REPO / "fixtures" / "terraform" / "plans"
OLD = "210987654321"
MOD = "333344445555"


# -- format_version 0.2 ---------------------------------------------------------------------

def test_format_0_2_plan_is_read_with_its_version_in_the_notes():
    load = load_terraform(SOURCE / "plan-0.2.json")
    assert "read from a Terraform plan (format 0.2, Terraform 1.0.11)" in \
        load.planned.metadata.notes
    assert load.planned.metadata.accounts == (OLD,)  # data.aws_caller_identity in prior_state
    assert {f"arn:aws:iam::{OLD}:role/{n}" for n in ("ci", "sso-readonly", "legacy-deployer")} \
        <= set(load.planned.principals)
    inline = load.planned.policies[f"arn:aws:iam::{OLD}:role/ci/inline/deploy"]
    assert inline.statements[0].actions == ("s3:PutObject",)


def test_format_0_2_role_computed_attributes_unknown_are_not_gaps():
    """``inline_policy`` and ``managed_policy_arns`` are computed by the provider: unknown in
    a plan that creates the role, without meaning the role has unknown policies."""
    load = load_terraform(SOURCE / "plan-0.2.json")
    assert not any("managed_policy_arns" in w or "inline_policy" in w for w in load.warnings)
    assert [g.scope for g in load.planned.gaps] == [
        f"policy arn:aws:iam::{OLD}:role/legacy-deployer/trust"]


# -- modules with unknowns ------------------------------------------------------------------

@pytest.fixture(scope="module")
def modules():
    return load_terraform(PLANS / "modules-1.2.json")


def test_module_instances_keep_their_instance_addresses(modules):
    role = modules.planned.principals[f"arn:aws:iam::{MOD}:role/ci-deploy"]
    assert role.source.address == 'module.ci["deploy"].aws_iam_role.this'
    assert dict(role.tags) == {"team": "platform"}
    policy = modules.planned.policies[f"arn:aws:iam::{MOD}:policy/ci-deploy-deploy"]
    assert policy.source.address == 'module.ci["deploy"].module.policy.aws_iam_policy.this'


def test_unknown_policy_arn_follows_a_module_output_to_the_policy(modules):
    reading = read_plan(json.loads((PLANS / "modules-1.2.json").read_text()))
    records = {r.address: r for r in reading.resources}
    attachment = records['module.ci["deploy"].aws_iam_role_policy_attachment.this']
    assert attachment.values["policy_arn"] == Unknown(
        "known after apply", 'module.ci["deploy"].module.policy.aws_iam_policy.this.arn')
    role = modules.planned.principals[f"arn:aws:iam::{MOD}:role/ci-deploy"]
    assert f"arn:aws:iam::{MOD}:policy/ci-deploy-deploy" in role.policy_ids


def test_module_policy_unknown_until_apply_is_a_gap_with_its_address(modules):
    scope = f"policy arn:aws:iam::{MOD}:role/ci-deploy/inline/artifacts"
    assert scope in [g.scope for g in modules.planned.gaps]
    assert any(w.startswith('module.ci["deploy"].aws_iam_role_policy.artifacts: ')
               and "not known before apply" in w for w in modules.warnings)


# -- --source DIR ---------------------------------------------------------------------------

def collect(tmp_path: Path, plan: Path, *options: str):
    output = tmp_path / "inventory.json"
    result = CliRunner().invoke(cli, ["collect", "terraform", str(plan), *options,
                                      "-o", str(output)])
    assert result.exit_code == 0, result.stderr or result.output
    return read_snapshot(output)


def located(inventory) -> dict[str, tuple[str | None, int | None]]:
    return {name: (inventory.principals[f"arn:aws:iam::{OLD}:role/{name}"].source.file,
                   inventory.principals[f"arn:aws:iam::{OLD}:role/{name}"].source.line)
            for name in ("ci", "sso-readonly")}


def test_source_option_maps_plan_addresses_to_file_and_line(tmp_path: Path):
    plan = tmp_path / "plan.json"
    shutil.copy(SOURCE / "plan-0.2.json", plan)
    inventory = collect(tmp_path, plan, "--source", str(SOURCE))
    assert located(inventory) == {"ci": ("main.tf", 56), "sso-readonly": ("main.tf", 61)}
    role = inventory.principals[f"arn:aws:iam::{OLD}:role/ci"]
    assert role.source.address == "aws_iam_role.ci"
    policy = inventory.policies[f"arn:aws:iam::{OLD}:role/ci/inline/deploy"]
    assert (policy.source.file, policy.source.line) == ("main.tf", 80)


def test_plan_next_to_its_configuration_is_mapped_by_default(tmp_path: Path):
    inventory = collect(tmp_path, SOURCE / "plan-0.2.json")
    assert located(inventory) == {"ci": ("main.tf", 56), "sso-readonly": ("main.tf", 61)}


def test_plan_alone_keeps_addresses_without_file_and_line(tmp_path: Path):
    plan = tmp_path / "plan.json"
    shutil.copy(SOURCE / "plan-0.2.json", plan)
    inventory = collect(tmp_path, plan)
    assert located(inventory) == {"ci": (None, None), "sso-readonly": (None, None)}
    role = inventory.principals[f"arn:aws:iam::{OLD}:role/ci"]
    assert role.source.address == "aws_iam_role.ci"


# -- decoding once --------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["check", "--format", "json", "--fail-on", "none"],
                                     ["audit", "--format", "json"]])
def test_a_plan_given_to_the_cli_is_decoded_once(monkeypatch, command: list[str]):
    """``check`` and the analysis commands decode the file to tell a plan from an
    inventory, and hand the decoded plan to ``load_terraform``."""
    plan = PLANS / "attach-admin-1.2.json"
    text = plan.read_text(encoding="utf-8-sig")
    decoded: list[int] = []
    loads = json.loads

    def counting(value, *args, **kwargs):
        if value == text:
            decoded.append(1)
        return loads(value, *args, **kwargs)

    monkeypatch.setattr(files.json, "loads", counting)
    result = CliRunner().invoke(cli, [command[0], str(plan), *command[1:]])
    assert result.exit_code == 0, result.stderr or result.output
    assert len(decoded) == 1


def test_load_terraform_uses_the_plan_it_is_given(tmp_path: Path):
    data = json.loads((PLANS / "attach-admin-1.2.json").read_text())
    load = load_terraform(tmp_path / "never-read.json", plan=data)
    assert "arn:aws:iam::444455556666:role/app" in load.planned.principals
