"""The public API is exactly iamscope.__all__: sorted, importable, and nothing else public."""

from __future__ import annotations

import iamscope


def test_all_is_sorted_and_complete() -> None:
    assert iamscope.__all__ == sorted(iamscope.__all__)
    public = {name for name in vars(iamscope) if not name.startswith("_")}
    submodules = {"errors", "evaluate", "model", "policy", "catalog", "validate", "report",
                  "cli", "collect", "demo", "graph", "checks", "pipeline", "ci", "usage", "minimize"}
    assert public - submodules == set(iamscope.__all__)


def test_readme_example_runs() -> None:
    from iamscope.evaluate import Engine, PolicyLayers, Request
    from iamscope.model.policy import PolicyKind
    from iamscope.policy.parse import parse_policy

    policy = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::reports/*"}]},
        policy_id="reader", kind=PolicyKind.MANAGED)
    engine = Engine()
    request = Request.create("arn:aws:iam::111122223333:user/alice", "s3:GetObject",
                             "arn:aws:s3:::reports/q1.csv")
    evaluation = engine.evaluate(request, PolicyLayers(identity=(policy,)))
    assert evaluation.decision is iamscope.Decision.ALLOW
    assert engine.decide(request, PolicyLayers(identity=(policy,))) is iamscope.Decision.ALLOW
