"""HCL reader benchmark: ``read_hcl`` on a synthetic configuration.

Writes N resources (default 2,000: roles with a shared trust document, inline policies built
with jsonencode and for expressions, attachments referring to the roles, a for_each
resource) into a temporary directory, in files of 200 resources, then times reading it, and
the parse stage (python-hcl2) alone. Target: 2,000 resources well under 2 s.

Usage: python benchmarks/bench_hcl_read.py [--resources N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

HEADER = '''variable "env" {
  default = "prod"
}
variable "buckets" {
  default = ["logs", "data", "backups"]
}
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}
'''

GROUP = '''
resource "aws_iam_role" "r{n}" {{
  name               = "role-{n}-${{var.env}}"
  assume_role_policy = data.aws_iam_policy_document.trust.json
  tags               = {{ team = "t{n}", env = var.env }}
}}

resource "aws_iam_role_policy" "p{n}" {{
  role = aws_iam_role.r{n}.name
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject"]
      Resource = [for b in var.buckets : "arn:aws:s3:::${{b}}-{n}/*"]
    }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "a{n}" {{
  role       = aws_iam_role.r{n}.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}}

resource "aws_s3_bucket" "b{n}" {{
  for_each = toset(["x", "y"])
  bucket   = "bucket-{n}-${{each.key}}"
}}
'''


def write_configuration(directory: Path, resources: int) -> int:
    """Groups of 5 resource instances; returns the number written."""
    groups = max(resources // 5, 1)
    per_file = 40
    for start in range(0, groups, per_file):
        text = HEADER if start == 0 else ""
        text += "".join(GROUP.format(n=n) for n in range(start, min(start + per_file, groups)))
        (directory / f"main_{start // per_file:03d}.tf").write_text(text)
    return groups * 5 + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    import hcl2

    from iamscope.collect.terraform.hcl import read_hcl

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        expected = write_configuration(directory, options.resources)
        size = sum(p.stat().st_size for p in directory.glob("*.tf"))
        reads, parses = [], []
        for _ in range(options.repeat):
            start = time.perf_counter()
            reading = read_hcl(directory)
            reads.append(time.perf_counter() - start)
            assert len(reading.resources) == expected, (len(reading.resources), expected)
            start = time.perf_counter()
            for path in sorted(directory.glob("*.tf")):
                hcl2.parses_to_tree(path.read_text())
            parses.append(time.perf_counter() - start)
        print(json.dumps({"resources": expected, "bytes": size, "warnings": len(reading.warnings),
                          "read_hcl_s": round(min(reads), 3),
                          "parse_only_s": round(min(parses), 3)}))


if __name__ == "__main__":
    main()
