"""Hostile and broken input: a clear error or warning with a location, never a hang."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamscope.collect.terraform.hcl import read_hcl
from iamscope.collect.terraform.resources import Unknown
from iamscope.errors import InputError

from .conftest import by_address


def test_malformed_hcl_names_file_line_and_column(read_text):
    with pytest.raises(InputError) as error:
        read_text('resource "aws_iam_role" "r" {\n  name = [1,\n  x = 2\n}\n')
    assert str(error.value) == "main.tf:3: invalid HCL syntax, column 4 near ' ='"


def test_malformed_file_in_a_module_names_the_module_file(read_text):
    with pytest.raises(InputError) as error:
        read_text('module "m" {\n  source = "./m"\n}\n', files={"m/main.tf": "resource {\n"})
    assert str(error.value) == ("m/main.tf:2: invalid HCL syntax, column 1: unexpected end of "
                                "file")


def test_attribute_set_twice_is_an_error(read_text):
    with pytest.raises(InputError, match=r"main.tf:3: attribute 'name' is set twice "
                                         r"\(first at line 2\)"):
        read_text('resource "aws_iam_user" "u" {\n  name = "a"\n  name = "b"\n}\n')


def test_duplicate_resource_is_an_error(read_text):
    with pytest.raises(InputError, match=r"main.tf:2: resource aws_iam_user.u is declared "
                                         r"twice \(first at main.tf:1\)"):
        read_text('resource "aws_iam_user" "u" {}\nresource "aws_iam_user" "u" {}\n')


def test_not_a_directory_and_no_tf_files(tmp_path: Path):
    with pytest.raises(InputError, match="not a directory"):
        read_hcl(tmp_path / "missing")
    with pytest.raises(InputError, match=r"no \.tf files"):
        read_hcl(tmp_path)


def test_non_utf8_file_is_an_error(tmp_path: Path):
    (tmp_path / "main.tf").write_bytes(b'resource "a" "b" {\n  x = "\xff"\n}\n')
    with pytest.raises(InputError, match=r"main.tf: not UTF-8 text"):
        read_hcl(tmp_path)


def test_huge_file_is_refused_before_parsing(tmp_path: Path):
    line = 'resource "aws_iam_user" "u%07d" { name = "user" }\n'
    with (tmp_path / "main.tf").open("w") as out:
        for number in range(5 * 1024 * 1024 // len(line % 0) + 1):
            out.write(line % number)
    with pytest.raises(InputError) as error:
        read_hcl(tmp_path)
    assert "main.tf: " in str(error.value)
    assert "larger than the HCL reader's limit of 1048576 bytes" in str(error.value)


def test_reference_cycle_is_reported_and_unknown(read_text):
    reading = read_text('''locals {
  a = "${local.b}-a"
  b = "${local.c}-b"
  c = "${local.a}-c"
}
resource "aws_iam_user" "u" {
  name = local.a
}
''')
    assert isinstance(by_address(reading)["aws_iam_user.u"].values["name"], Unknown)
    assert reading.warnings == ("main.tf:2: reference cycle: local.a -> local.b -> local.c -> "
                                "local.a; the values in the cycle are unknown",)


def test_resource_referring_to_itself_is_a_cycle(read_text):
    reading = read_text('resource "aws_iam_user" "u" {\n  name = "x"\n'
                        '  tags = { Name = aws_iam_user.u.name }\n}\n')
    values = by_address(reading)["aws_iam_user.u"].values
    assert values["name"] == "x"
    assert isinstance(values["tags"]["Name"], Unknown)
    assert reading.warnings == ("main.tf:1: reference cycle: aws_iam_user.u -> aws_iam_user.u; "
                                "the values in the cycle are unknown",)


def test_very_deep_nesting_is_cut_with_a_warning(read_text):
    depth = 5000
    reading = read_text(f'resource "terraform_data" "t" {{\n  input = {"[" * depth}'
                        f'{"]" * depth}\n}}\n')
    value = reading.resources[0].values["input"]
    while isinstance(value, list):
        value = value[0]
    assert isinstance(value, Unknown)
    assert reading.warnings == ("main.tf:2: an expression nested more than 200 levels deep is "
                                "not evaluated; its value is treated as unknown",)


def test_long_reference_chain_is_cut_with_a_warning(read_text):
    chain = "\n".join(f"  l{i} = local.l{i - 1}" for i in range(1, 300))
    reading = read_text(f'locals {{\n  l0 = "x"\n{chain}\n}}\n'
                        'resource "aws_iam_user" "u" {\n  name = local.l299\n}\n')
    assert isinstance(reading.resources[0].values["name"], Unknown)
    assert any("references nested more than 60 deep" in w for w in reading.warnings)


def test_exponentially_growing_values_are_bounded(read_text):
    doubling = "\n".join(f"  l{i} = [local.l{i - 1}, local.l{i - 1}]" for i in range(1, 41))
    strings = "\n".join(f'  s{i} = "${{local.s{i - 1}}}${{local.s{i - 1}}}"'
                        for i in range(1, 41))
    reading = read_text(f'locals {{\n  l0 = ["x"]\n{doubling}\n  s0 = "xxxxxxxx"\n{strings}\n}}\n'
                        'resource "aws_iam_policy" "p" {\n  policy = jsonencode(local.l40)\n'
                        '  name = local.s40\n}\n')
    values = reading.resources[0].values
    assert isinstance(values["policy"], Unknown) and isinstance(values["name"], Unknown)
    assert reading.warnings == (
        "main.tf:86: a value with more than 200000 elements; the value is unknown",
        "main.tf:63: a string longer than 4194304 characters; the value is unknown")


def test_huge_iteration_is_bounded(read_text):
    reading = read_text('resource "terraform_data" "t" {\n'
                        '  input = [for i in range(100000) : i]\n}\n')
    assert isinstance(reading.resources[0].values["input"], Unknown)
    assert reading.warnings == ("main.tf:2: range(): too many elements; the value is unknown",)


def test_unsupported_function_and_undeclared_references_warn_with_location(read_text):
    reading = read_text('''resource "aws_iam_user" "u" {
  name  = sha256("x")
  path  = var.missing
  tags  = { a = aws_iam_role.nope.name }
}
''')
    values = reading.resources[0].values
    assert isinstance(values["name"], Unknown) and isinstance(values["path"], Unknown)
    assert reading.warnings == (
        "main.tf:2: the function sha256() is not supported; the value is unknown",
        "main.tf:3: undeclared variable var.missing; the value is unknown",
        "main.tf:4: unknown name 'aws_iam_role' (not a declared resource type); the value is "
        "unknown",
    )


def test_malformed_template_directives_are_unknown_with_a_warning(read_text):
    reading = read_text('resource "aws_iam_user" "u" {\n'
                        '  name = "%{ if true }a%{ endfor }"\n}\n')
    assert isinstance(reading.resources[0].values["name"], Unknown)
    assert reading.warnings == ("main.tf:2: a malformed template (%{ endfor } without a "
                                "matching %{ for }) is not evaluated; its value is treated "
                                "as unknown",)


def test_module_sourcing_itself_stops_at_the_depth_limit(read_text):
    reading = read_text('resource "aws_iam_user" "u" {\n  name = "u"\n}\n'
                        'module "again" {\n  source = "./"\n}\n')
    addresses = [r.address for r in reading.resources]
    assert addresses[0] == "aws_iam_user.u"
    assert len(addresses) == 17
    assert any("modules nested more than 16 deep" in w for w in reading.warnings)


def test_module_outside_the_configuration_is_not_read(read_text):
    reading = read_text('module "up" {\n  source = "../"\n}\n')
    assert reading.resources == ()
    assert reading.warnings == ("main.tf:1: module.up: the module source '../' is outside the "
                                "configuration directory; its resources are absent from this "
                                "reading",)


def test_invalid_var_file_names_the_file(read_text, tmp_path: Path):
    bad = tmp_path / "bad.tfvars.json"
    bad.write_text("{oops")
    with pytest.raises(InputError, match=r"bad.tfvars.json:1: invalid JSON"):
        read_text('variable "x" {}\n', var_files=[bad])


@pytest.mark.parametrize("fixture", ["basic", "policy_document"])
def test_truncated_configurations_give_a_reading_or_an_input_error(tmp_path: Path, fixture):
    from .conftest import FIXTURES

    text = (FIXTURES / fixture / "main.tf").read_text()
    outcomes = set()
    for cut in range(7, len(text), max(len(text) // 40, 1)):
        (tmp_path / "main.tf").write_text(text[:cut])
        try:
            read_hcl(tmp_path)
            outcomes.add("reading")
        except InputError as error:
            assert str(error).startswith("main.tf:")
            outcomes.add("error")
    assert "error" in outcomes  # and nothing but InputError escaped
