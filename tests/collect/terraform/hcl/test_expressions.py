"""The static evaluator: operators, functions, for expressions, references, unknowns."""

from __future__ import annotations

import pytest

from iamscope.collect.terraform.resources import Unknown

from .conftest import by_address

LOCALS = '''
locals {
  names = ["b", "a", "b"]
  tags  = { env = "dev", team = "ops" }
  n     = 3
  flag  = true
}
'''

CASES = [
    ('"x-${local.n + 1}"', "x-4"),
    ("local.n * 2 - 1", 5),
    ("7 / 2", 3.5),
    ("7 % 4", 3),
    ("-local.n", -3),
    ("local.n > 2 && !local.flag", False),
    ("local.n == 3 || false", True),
    ('1 == "1"', False),
    ('local.flag ? "yes" : "no"', "yes"),
    ("[for s in local.names : upper(s) if s != \"a\"]", ["B", "B"]),
    ("{for k, v in local.tags : v => k}", {"dev": "env", "ops": "team"}),
    ("{for s in local.names : s => s...}", {"b": ["b", "b"], "a": ["a"]}),
    ('jsonencode({b = [1, true, null], a = "<&>"})',
     '{"a":"\\u003c\\u0026\\u003e","b":[1,true,null]}'),
    ('jsondecode("{\\"a\\": [1, 2]}")', {"a": [1, 2]}),
    ('format("%s:%d:%q:%%", "a", 5, "b")', 'a:5:"b":%'),
    ('formatlist("arn:aws:s3:::%s/*", ["x", "y"])', ["arn:aws:s3:::x/*", "arn:aws:s3:::y/*"]),
    ('join(",", local.names)', "b,a,b"),
    ('split("/", "a/b/c")', ["a", "b", "c"]),
    ("concat(local.names, [\"c\"])", ["b", "a", "b", "c"]),
    ('merge(local.tags, { team = "sec" })', {"env": "dev", "team": "sec"}),
    ('lookup(local.tags, "x", "default")', "default"),
    ("length(local.tags)", 2),
    ("toset(local.names)", ["a", "b"]),
    ("tolist(local.names)", ["b", "a", "b"]),
    ("tomap(local.tags)", {"env": "dev", "team": "ops"}),
    ('lower("ABC")', "abc"),
    ('replace("a-b-c", "-", "_")', "a_b_c"),
    ('coalesce("", null, "z")', "z"),
    ("flatten([[1, [2]], [3]])", [1, 2, 3]),
    ("distinct(local.names)", ["b", "a"]),
    ("keys(local.tags)", ["env", "team"]),
    ("values(local.tags)", ["dev", "ops"]),
    ('contains(local.names, "a")', True),
    ("try(local.tags.missing, \"fallback\")", "fallback"),
    ("can(local.tags.missing)", False),
    ("element(local.names, 4)", "a"),
    ("local.names[1]", "a"),
    ('local.tags["env"]', "dev"),
    ("[{a = 1}, {a = 2}][*].a", [1, 2]),
    ("range(3)", [0, 1, 2]),
    ("zipmap([\"a\", \"b\"], [1, 2])", {"a": 1, "b": 2}),
    ('trimprefix("arn:aws", "arn:")', "aws"),
    ("max(1, 5, 3)", 5),
    ("one([\"x\"])", "x"),
    ('"$${literal} %%{x}"', "${literal} %{x}"),
    ("concat([local.names]...)", ["b", "a", "b"]),
]


@pytest.mark.parametrize(("expression", "expected"), CASES, ids=[c[0] for c in CASES])
def test_expression_value(read_text, expression, expected):
    reading = read_text(LOCALS + f'resource "terraform_data" "t" {{\n  input = {expression}\n}}\n')
    assert reading.resources[0].values["input"] == expected
    assert reading.warnings == ()


def test_computed_attributes_are_unknown_with_their_reference(read_text):
    reading = read_text('''
resource "aws_iam_role" "r" {
  count = 2
  name  = "role-${count.index}"
}
resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.r[1].name
  policy = aws_iam_role.r[0].arn
  arns   = aws_iam_role.r[*].arn
  joined = "${aws_iam_role.r[0].arn}/x"
  upper  = upper(aws_iam_role.r[0].unique_id)
  pick   = length(aws_iam_role.r[*].arn)
}
''')
    values = by_address(reading)["aws_iam_role_policy.p"].values
    assert values["role"] == "role-1"
    assert values["policy"] == Unknown("aws_iam_role.r[0].arn is computed by the provider",
                                       reference="aws_iam_role.r[0].arn")
    assert [u.reference for u in values["arns"]] == ["aws_iam_role.r[0].arn",
                                                      "aws_iam_role.r[1].arn"]
    assert values["joined"] == Unknown("a string built from aws_iam_role.r[0].arn")
    assert values["upper"] == Unknown("the result of upper() from aws_iam_role.r[0].unique_id")
    assert values["pick"] == 2
    assert reading.warnings == ()


def test_jsonencode_with_unknown_parts_keeps_the_structure(read_text):
    reading = read_text('''
resource "aws_s3_bucket" "b" {
  bucket = "b"
}
resource "aws_iam_policy" "p" {
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "s3:*", Resource = aws_s3_bucket.b.arn }]
  })
}
''')
    policy = by_address(reading)["aws_iam_policy.p"].values["policy"]
    assert policy == {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": Unknown(
        "aws_s3_bucket.b.arn is computed by the provider", reference="aws_s3_bucket.b.arn")}]}


def test_for_each_over_a_map_binds_each_key_and_value(read_text):
    reading = read_text('''
variable "roles" {
  default = { ci = "arn:aws:iam::aws:policy/PowerUserAccess", audit = "arn:aws:iam::aws:policy/SecurityAudit" }
}
resource "aws_iam_role_policy_attachment" "a" {
  for_each   = var.roles
  role       = each.key
  policy_arn = each.value
}
''')
    assert {r.address: r.values for r in reading.resources} == {
        'aws_iam_role_policy_attachment.a["audit"]': {
            "role": "audit", "policy_arn": "arn:aws:iam::aws:policy/SecurityAudit"},
        'aws_iam_role_policy_attachment.a["ci"]': {
            "role": "ci", "policy_arn": "arn:aws:iam::aws:policy/PowerUserAccess"}}


def test_conditional_on_an_unknown_with_equal_branches_is_known(read_text):
    reading = read_text('''
resource "aws_s3_bucket" "b" {}
resource "terraform_data" "t" {
  same      = aws_s3_bucket.b.id == "x" ? "a" : "a"
  different = aws_s3_bucket.b.id == "x" ? "a" : "b"
}
''')
    values = by_address(reading)["terraform_data.t"].values
    assert values["same"] == "a"
    assert isinstance(values["different"], Unknown)


def test_count_zero_creates_no_instance_and_count_from_a_condition(read_text):
    reading = read_text('''
variable "create" { default = false }
resource "aws_iam_user" "maybe" {
  count = var.create ? 1 : 0
  name  = "maybe"
}
resource "aws_iam_user" "always" {
  count = var.create ? 0 : 1
  name  = "always"
}
''')
    assert [r.address for r in reading.resources] == ["aws_iam_user.always[0]"]


def test_unknown_count_is_read_as_one_instance_with_a_warning(read_text):
    reading = read_text('''
resource "aws_s3_bucket" "b" {}
resource "aws_iam_user" "u" {
  count = length(aws_s3_bucket.b.tags_all)
  name  = "u-${count.index}"
}
''')
    user = by_address(reading)["aws_iam_user.u"]
    assert isinstance(user.values["name"], Unknown)
    assert reading.warnings == (
        "main.tf:4: aws_iam_user.u: count is not known statically (the result of length() "
        "from aws_s3_bucket.b.tags_all); read as one instance",)


def test_aws_region_and_partition_from_settings(read_text):
    reading = read_text('''
data "aws_region" "current" {}
data "aws_partition" "current" {}
resource "aws_iam_policy" "p" {
  name = "p-${data.aws_region.current.name}"
  arn  = "arn:${data.aws_partition.current.partition}:s3:::x"
}
''', region="eu-west-1", partition="aws-cn")
    assert by_address(reading)["aws_iam_policy.p"].values == {
        "name": "p-eu-west-1", "arn": "arn:aws-cn:s3:::x"}
