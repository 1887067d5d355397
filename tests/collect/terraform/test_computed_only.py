"""An attribute the configuration does not set but the provider computes (aws_s3_bucket's
optional+computed ``policy``) is unknown in a plan for a new resource; it is not something
the configuration writes, so it is not a coverage gap. An attribute the configuration does
set from unknown values still is (plan JSON: "configuration" ``expressions``,
https://developer.hashicorp.com/terraform/internals/json-format#configuration-representation)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from iamscope.collect.terraform.load import load_terraform

BUCKET = "arn:aws:s3:::acme-new"


def _plan(expressions: dict[str, Any] | None) -> dict[str, Any]:
    resource = {"address": "aws_s3_bucket.new", "mode": "managed", "type": "aws_s3_bucket",
                "name": "new"}
    plan: dict[str, Any] = {
        "format_version": "1.2", "terraform_version": "1.6.0",
        "planned_values": {"root_module": {"resources": [
            {**resource, "values": {"bucket": "acme-new"}}]}},
        "resource_changes": [{**resource, "change": {
            "actions": ["create"], "before": None, "after": {"bucket": "acme-new"},
            "after_unknown": {"policy": True, "arn": True, "id": True}}}],
    }
    if expressions is not None:
        plan["configuration"] = {"root_module": {"resources": [
            {**resource, "expressions": expressions}]}}
    return plan


def _load(tmp_path: Path, plan: dict[str, Any]):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    return load_terraform(path, account="111122223333")


def test_provider_computed_policy_of_a_new_bucket_is_not_a_gap(tmp_path: Path) -> None:
    load = _load(tmp_path, _plan({"bucket": {"constant_value": "acme-new"}}))
    assert BUCKET in load.planned.resources
    assert load.planned.resources[BUCKET].policy_id is None
    assert not [g for g in load.planned.gaps if "acme-new" in g.scope]


def test_policy_set_from_unknown_values_is_still_a_gap(tmp_path: Path) -> None:
    load = _load(tmp_path, _plan({"bucket": {"constant_value": "acme-new"},
                                  "policy": {"references": ["aws_iam_role.x.arn",
                                                            "aws_iam_role.x"]}}))
    assert [g for g in load.planned.gaps if "acme-new" in g.scope or "acme-new" in g.reason]


def test_without_configuration_an_unknown_policy_stays_a_gap(tmp_path: Path) -> None:
    load = _load(tmp_path, _plan(None))
    assert [g for g in load.planned.gaps if "acme-new" in g.scope or "acme-new" in g.reason]
