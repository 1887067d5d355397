"""Regenerate iamscope's packaged set of AWS-managed policy documents (run by maintainers).

    .venv/bin/python tools/update_managed_policies.py [--date YYYY-MM-DD] [--output FILE]

Source: moto's ``moto/iam/aws_managed_policies.py`` (a dev dependency, never imported by
iamscope at run time). moto keeps that module current with its own update script, which reads
every AWS-managed policy's default version from a live AWS account (``make
aws_managed_policies`` in the moto repository); refreshing iamscope's set is therefore
``pip install -U moto`` then this script. The output is
``iamscope/collect/terraform/data/aws_managed_policies.json.gz``: a header naming the source
package and version, the generation date, the newest ``UpdateDate`` among the documents and
the count, then ``policies``: ARN (commercial partition) -> default version id, update date,
document. The gzip stream has no timestamp, so the same moto version on the same date gives
the same bytes.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
from importlib import metadata
from pathlib import Path
from typing import Any

FORMAT = "iamscope-aws-managed-policies"
VERSION = 1
OUTPUT = (Path(__file__).resolve().parent.parent / "iamscope" / "collect" / "terraform"
          / "data" / "aws_managed_policies.json.gz")


def build(source: dict[str, Any], moto_version: str, generated: str) -> dict[str, Any]:
    """moto's ``aws_managed_policies_data`` (name -> details) -> the packaged data set."""
    policies: dict[str, Any] = {}
    for name, details in sorted(source.items()):
        path = details.get("Path") or "/"
        document = details.get("Document")
        if not isinstance(document, dict) or not path.startswith("/") or \
                not path.endswith("/"):
            raise SystemExit(f"moto's entry for {name!r} has no usable Path/Document")
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
        # (arn:aws:iam::aws:policy/<path><name> for AWS-managed policies)
        policies[f"arn:aws:iam::aws:policy{path}{name}"] = {
            "version_id": details.get("DefaultVersionId"),
            "updated": details.get("UpdateDate"), "document": document}
    newest = max((p["updated"] or "" for p in policies.values()), default="")
    return {"format": FORMAT, "version": VERSION,
            "source": {"package": "moto", "version": moto_version,
                       "module": "moto.iam.aws_managed_policies"},
            "generated": generated, "documents_as_of": newest[:10], "count": len(policies),
            "partition": "aws", "policies": policies}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", default=datetime.datetime.now(datetime.UTC).date().isoformat(),
                        help="generation date written in the header (default: today, UTC)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data = build(json.loads(aws_managed_policies_data), metadata.version("moto"), args.date)
    text = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    args.output.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
    print(f"{args.output}: {data['count']} policies from moto {data['source']['version']}, "
          f"documents as of {data['documents_as_of']}, generated {data['generated']}, "
          f"{args.output.stat().st_size} bytes ({len(text)} uncompressed)")


if __name__ == "__main__":
    main()
