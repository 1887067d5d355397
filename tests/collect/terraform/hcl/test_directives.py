"""Template directives: ``%{ if }``, ``%{ for }``, strip markers and escapes.

Terraform language, "Strings and Templates", Directives:
https://developer.hashicorp.com/terraform/language/expressions/strings#directives
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iamscope.collect.terraform.hcl.syntax import Literal, TemplateFor, TemplateIf
from iamscope.collect.terraform.hcl.templates import MalformedTemplate, Mark, nest
from iamscope.collect.terraform.load import load_terraform
from iamscope.collect.terraform.resources import Unknown

POLICY_TEMPLATE = '''{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "s3:GetObject",
    "Resource": [
    %{ for i, bucket in buckets ~}
      "arn:aws:s3:::${bucket}/*"%{ if i < length(buckets) - 1 },%{ endif }
    %{ endfor ~}
    ]
  }]
}
'''


def _tags(read_text, tags: str, after: str = ""):
    reading = read_text('resource "aws_iam_user" "u" {\n  name = "u"\n  tags = {\n'
                        f'{tags}\n  }}\n}}\n{after}')
    return reading.resources[0].values["tags"], reading.warnings


def test_if_else_chooses_a_branch_strings_directives(read_text):
    tags, warnings = _tags(read_text, '''
    yes  = "a%{ if 1 < 2 }b%{ else }c%{ endif }d"
    no   = "a%{ if false }b%{ else }c%{ endif }d"
    bare = "a%{ if false }b%{ endif }d"
    text = "%{ if "true" }converted%{ endif }"''')
    assert tags == {"yes": "abd", "no": "acd", "bare": "ad", "text": "converted"}
    assert warnings == ()


def test_for_over_a_list_gives_index_and_value_and_over_a_map_keys_in_lexical_order(read_text):
    tags, _ = _tags(read_text, '''
    values  = "%{ for v in ["x", "y"] }[${v}]%{ endfor }"
    indexed = "%{ for i, v in ["x", "y"] }${i}=${v};%{ endfor }"
    map     = "%{ for k, v in { zeta = 1, alpha = 2 } }${k}=${v};%{ endfor }"
    empty   = "<%{ for v in [] }${v}%{ endfor }>"''')
    assert tags == {"values": "[x][y]", "indexed": "0=x;1=y;", "map": "alpha=2;zeta=1;",
                    "empty": "<>"}


def test_directives_nest(read_text):
    grid = ('%{ for a in [1, 2] }%{ for b in ["p", "q"] }'
            '%{ if a == 2 || b == "p" }${a}${b} %{ endif }%{ endfor }%{ endfor }')
    tags, _ = _tags(read_text, f'    grid = "{grid}"')
    assert tags == {"grid": "1p 2p 2q "}


def test_strip_markers_remove_whitespace_and_newlines_on_their_side(read_text):
    # "~" immediately after the opening or before the closing brace strips the adjacent
    # literal whitespace, newlines included, for ${ } and %{ } alike.
    tags, _ = _tags(read_text, '''
    heredoc = <<EOT
<
  %{~ for x in [1, 2] ~}
  ${~ x ~}  ,
  %{~ endfor ~}
  >
EOT
    left  = "a   %{~ if true }b%{ endif }"
    right = "%{ if true ~}   b%{ endif }"''')
    assert tags == {"heredoc": "<1,2,>\n", "left": "ab", "right": "b"}


def test_escapes_are_literal_text(read_text):
    tags, _ = _tags(read_text, '''
    quoted  = "$${a} %%{ if x } %{ if true }$${b}%{ endif }"
    heredoc = <<EOT
$${a} %%{ for x in y } %{ for v in [1] }$${v}${v}%{ endfor }
EOT''')
    assert tags == {"quoted": "${a} %{ if x } ${b}", "heredoc": "${a} %{ for x in y } ${v}1\n"}


def _write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def _resources(load, name: str) -> tuple[str, ...]:
    policy = load.planned.policies[f"arn:aws:iam::111122223333:policy/{name}"]
    return tuple(resource for statement in policy.statements
                 for resource in statement.resources)


def test_templatefile_policy_with_a_for_loop_gives_exact_resource_arns(tmp_path: Path):
    directory = _write(tmp_path, {"policy.json.tpl": POLICY_TEMPLATE, "main.tf": '''
variable "buckets" {
  default = ["logs", "data"]
}
resource "aws_iam_policy" "read" {
  name   = "read"
  policy = templatefile("${path.module}/policy.json.tpl", { buckets = var.buckets })
}
'''})
    load = load_terraform(directory, account="111122223333")
    assert _resources(load, "read") == ("arn:aws:s3:::logs/*", "arn:aws:s3:::data/*")
    assert load.warnings == ()


def test_heredoc_policy_with_directives_gives_exact_resource_arns(tmp_path: Path):
    directory = _write(tmp_path, {"main.tf": '''
locals {
  buckets = { b = "beta", a = "alpha" }
}
resource "aws_iam_policy" "read" {
  name   = "read"
  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [{
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": [
          %{~ for key, bucket in local.buckets ~}
          "arn:aws:s3:::${bucket}/${key}/*"%{ if key != "b" },%{ endif }
          %{~ endfor ~}
        ]
      }]
    }
  EOT
}
'''})
    load = load_terraform(directory, account="111122223333")
    assert _resources(load, "read") == ("arn:aws:s3:::alpha/a/*", "arn:aws:s3:::beta/b/*")
    assert load.warnings == ()


def test_unknown_collection_or_condition_makes_the_template_unknown_with_a_warning(read_text):
    tags, warnings = _tags(read_text, '''
    loop = "%{ for k, v in aws_s3_bucket.b.tags_all }${k}%{ endfor }"
    cond = "%{ if aws_s3_bucket.b.bucket_domain_name == "x" }a%{ endif }"''',
                            'resource "aws_s3_bucket" "b" {}\n')
    assert isinstance(tags["loop"], Unknown) and isinstance(tags["cond"], Unknown)
    assert len(warnings) == 2
    assert warnings[0].startswith("main.tf:5: the collection of a %{ for } directive is "
                                  "unknown")
    assert warnings[1].startswith("main.tf:6: the condition of a %{ if } directive is unknown")


def test_unknown_collection_in_a_template_file_is_reported_in_that_file(read_text):
    reading = read_text('''
resource "aws_iam_policy" "p" {
  policy = templatefile("p.tpl", { names = aws_s3_bucket.b.tags_all })
}
resource "aws_s3_bucket" "b" {}
''', files={"p.tpl": '{\n"Resource": [%{ for n in names }"${n}"%{ endfor }]\n}\n'})
    assert isinstance(reading.resources[0].values["policy"], Unknown)
    assert reading.warnings[0].startswith("p.tpl:2: the collection of a %{ for } directive")


def test_type_problems_are_unknown_with_a_warning(read_text):
    tags, warnings = _tags(read_text, '''
    cond = "%{ if 3 }a%{ endif }"
    loop = "%{ for x in "abc" }${x}%{ endfor }"''')
    assert isinstance(tags["cond"], Unknown) and isinstance(tags["loop"], Unknown)
    assert warnings == (
        "main.tf:5: %{ if } directive: a bool is required, not number; the value is unknown",
        "main.tf:6: a %{ for } directive needs a list, set, map or object, not string; "
        "the value is unknown")


@pytest.mark.parametrize(("template", "problem"), [
    ('"%{ for x in [1] }x"', "%{ for } without %{ endfor }"),
    ('"%{ if true }x"', "%{ if } without %{ endif }"),
    ('"x%{ else }y"', "%{ else } without a matching %{ if }"),
    ('"%{ if true }a%{ else }b%{ else }c%{ endif }"', "%{ else } without a matching %{ if }"),
    ('"%{ for x in [1] }x%{ endif }"', "%{ endif } without a matching %{ if }"),
    ('"%{ endfor }"', "%{ endfor } without a matching %{ for }"),
    ("<<EOT\n%{ while true }\nEOT", "unknown template directive %{ while true }"),
    ("<<EOT\n%{ endif x }\nEOT", "%{ endif } takes no argument"),
    ("<<EOT\n%{ for in x }\nEOT", "%{ for } needs the form %{ for NAME in EXPRESSION } or "
                                  "%{ for KEY, NAME in EXPRESSION }"),
])
def test_malformed_directives_are_unknown_with_a_warning(read_text, template, problem):
    tags, warnings = _tags(read_text, f"\n    bad = {template}")
    line = 6 if template.startswith("<<") else 5  # a heredoc's text starts on the next line
    assert isinstance(tags["bad"], Unknown)
    assert warnings == (f"main.tf:{line}: a malformed template ({problem}) is not evaluated; "
                        "its value is treated as unknown",)


def test_a_nested_loop_size_bomb_is_unknown_with_a_warning(read_text):
    reading = read_text('''
resource "aws_iam_policy" "p" {
  policy = templatefile("bomb.tpl", { n = 10000 })
}
''', files={"bomb.tpl": "%{ for a in range(n) }\n%{ for b in range(n) }${a}${b}%{ endfor }"
                        "%{ endfor }"})
    assert isinstance(reading.resources[0].values["policy"], Unknown)
    assert reading.warnings == ("bomb.tpl:2: a template producing more than 200000 pieces; "
                                "the value is unknown",)


def test_nest_applies_strip_markers_then_builds_if_and_for_nodes():
    items = Literal(["p"], 1)
    parts = nest([" a ", Mark("for", 1, strip_left=True, strip_right=True, expr=items,
                              names=("k", "v")),
                  "  b  ", Mark("endfor", 2, strip_left=True), " c"])
    assert parts == (" a", TemplateFor("k", "v", items, ("b",), 1), " c")
    yes = Literal(True, 1)
    parts = nest([Mark("if", 1, expr=yes), "x", Mark("else", 1), "y", Mark("endif", 1)])
    assert parts == (TemplateIf(yes, ("x",), ("y",), 1),)
    with pytest.raises(MalformedTemplate):
        nest([Mark("if", 1, expr=yes), Mark("endfor", 1)])
