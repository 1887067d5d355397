"""Configuration-level behaviour: files the reader skips, -var typing, module repetition."""

from __future__ import annotations

from iamscope.collect.terraform.resources import Unknown

from .conftest import by_address


def test_override_files_are_reported_not_read(read_text):
    reading = read_text('resource "aws_iam_user" "u" {\n  name = "u"\n}\n', files={
        "extra.tf.json": '{"resource": {}}',
        "main_override.tf": 'resource "aws_iam_user" "u" {\n  name = "other"\n}\n'})
    assert by_address(reading)["aws_iam_user.u"].values == {"name": "u"}
    assert reading.warnings == (
        ".: override files are not merged by the HCL reader; ignored: main_override.tf",)


def test_cli_values_of_collection_variables_are_parsed_as_hcl(read_text):
    reading = read_text('''
variable "principals" {
  type = list(string)
}
variable "name" {
  type = string
}
resource "aws_iam_role" "r" {
  name = var.name
  tags = { first = var.principals[0], count = length(var.principals) }
}
''', variables={"principals": '["arn:aws:iam::111122223333:root", "*"]', "name": "[x]"})
    values = by_address(reading)["aws_iam_role.r"].values
    assert values == {"name": "[x]", "tags": {"first": "arn:aws:iam::111122223333:root",
                                              "count": 2}}


def test_module_with_count_and_index_reference(read_text):
    reading = read_text('''
module "users" {
  source = "./users"
  count  = 2
  name   = "user-${count.index}"
}
resource "aws_iam_group_membership" "g" {
  name  = "g"
  group = "devs"
  users = [module.users[0].name, module.users[1].name]
}
''', files={"users/main.tf": '''
variable "name" {}
resource "aws_iam_user" "this" {
  name = var.name
}
output "name" {
  value = aws_iam_user.this.name
}
'''})
    resources = by_address(reading)
    assert resources["module.users[1].aws_iam_user.this"].values == {"name": "user-1"}
    assert resources["module.users[1].aws_iam_user.this"].module == "module.users[1]"
    assert resources["aws_iam_group_membership.g"].values["users"] == ["user-0", "user-1"]
    assert reading.warnings == ()


def test_malformed_directives_in_a_template_file_are_reported_in_that_file(read_text):
    reading = read_text('''
resource "aws_iam_policy" "p" {
  policy = templatefile("p.tpl", { names = ["a"] })
}
''', files={"p.tpl": '{\n"Resource": [%{ for n in names }"${n}"]\n}\n'})
    assert isinstance(reading.resources[0].values["policy"], Unknown)
    assert reading.warnings == ("p.tpl:2: a malformed template (%{ for } without "
                                "%{ endfor }) is not evaluated; its value is treated as "
                                "unknown",)


def test_module_input_that_the_module_does_not_declare_is_reported(read_text):
    reading = read_text('module "m" {\n  source = "./m"\n  typo = 1\n}\n',
                        files={"m/main.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n}\n'})
    assert [r.address for r in reading.resources] == ["module.m.aws_iam_user.u"]
    assert reading.warnings == ("main.tf:3: module 'm' has no variable 'typo'; the argument "
                                "is ignored",)
