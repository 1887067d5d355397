"""Arbitrary JSON never crashes the parser or the engine: it parses, or it is rejected with
a PolicyParseError that names what is wrong."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamscope.errors import PolicyParseError
from iamscope.evaluate import Engine, PolicyLayers, Request
from iamscope.model.policy import PolicyKind
from iamscope.policy.parse import parse_policy

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["*", "s3:*", "s3:Get*", "Allow", "Deny", "arn:aws:s3:::b/*",
                     "${aws:username}", "2012-10-17", "arn:aws:iam::111122223333:root"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=20,
)
ELEMENTS = ["Effect", "Action", "NotAction", "Resource", "NotResource", "Principal",
            "NotPrincipal", "Condition", "Sid"]
OPERATORS = ["StringEquals", "StringNotLike", "NumericLessThan", "DateGreaterThan", "Bool",
             "IpAddress", "ArnLike", "Null", "ForAllValues:StringEquals",
             "ForAnyValue:StringNotEqualsIfExists", "BinaryEquals", "Bogus"]
statements = st.fixed_dictionaries(
    {},
    optional={
        "Effect": st.one_of(st.sampled_from(["Allow", "Deny"]), json_values),
        "Action": st.one_of(st.sampled_from(["*", "s3:*", "s3:GetObject", ["sqs:*", "s3:Get*"]]),
                            json_values),
        "NotAction": json_values,
        "Resource": st.one_of(st.sampled_from(["*", "arn:aws:s3:::b/${aws:username}/*",
                                               "arn:*:s3:::b*"]), json_values),
        "NotResource": json_values,
        "Principal": st.one_of(st.just("*"), st.just({"AWS": "111122223333"}), json_values),
        "NotPrincipal": json_values,
        "Condition": st.one_of(
            st.dictionaries(st.sampled_from(OPERATORS),
                            st.dictionaries(st.sampled_from(["aws:SourceIp", "aws:TagKeys",
                                                             "aws:CurrentTime", "s3:prefix"]),
                                            json_values, max_size=2), max_size=2),
            json_values),
        "Sid": json_values,
    },
)
documents = st.one_of(
    json_values,
    st.fixed_dictionaries({"Statement": st.one_of(statements, st.lists(statements, max_size=3),
                                                  json_values)},
                          optional={"Version": st.sampled_from(["2012-10-17", "2008-10-17",
                                                                "bogus"]),
                                    "Id": json_values}),
)


@given(documents)
@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
def test_parse_then_evaluate_never_crashes(engine: Engine, document: object) -> None:
    try:
        policy = parse_policy(document, policy_id="fuzz", kind=PolicyKind.INLINE)
    except PolicyParseError as exc:
        assert exc.diagnostics, "a rejection must say what is wrong"
        return
    request = Request.create(
        "arn:aws:iam::111122223333:user/alice", "s3:GetObject", "arn:aws:s3:::b/alice/x",
        context={"aws:SourceIp": "203.0.113.9", "aws:TagKeys": ["a"],
                 "aws:CurrentTime": "2025-01-01T00:00:00Z"},
    )
    for layers in (PolicyLayers(identity=(policy,)),
                   PolicyLayers(resource=policy), PolicyLayers(scps=((policy,),))):
        evaluation = engine.evaluate(request, layers)
        assert evaluation.decision is not None
