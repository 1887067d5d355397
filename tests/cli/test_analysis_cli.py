"""`iamscope audit`, `reach`, `blast-radius`, `who-can`, `paths` and `graph` through click:
exact answers on the flawed-org scenario, exit codes, and hostile names (HTML, ANSI escapes,
newlines, quotes) escaped in every output."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from iamscope.cli.main import EXIT_FAILED, EXIT_INPUT, _register, cli
from tests.conftest import REPO
from tests.graph.builders import (
    ACCT,
    ADMIN,
    ADMIN_POLICY,
    account,
    allow,
    bucket,
    collection,
    doc,
    role,
    trust,
    user,
)
from tests.graph.conftest import FLAWED

_register()
INV = str(FLAWED)
PROD = "070820081538"
DAVE = f"arn:aws:iam::{PROD}:user/dave"
OPS = f"arn:aws:iam::{PROD}:role/ops-automation"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_audit_text_and_fail_on() -> None:
    code, out, _ = run("audit", INV, "--top", "3")
    assert code == 0
    assert out.splitlines()[2] == "30 findings: 2 critical 8 high 15 medium 5 low"
    assert "... 27 more findings" in out
    code, _, _ = run("audit", INV, "--fail-on", "critical", "--format", "json")
    assert code == EXIT_FAILED  # the public bucket
    assert run("audit", str(REPO / "tests/cases/checks/aws_wildcard_trust/pass.json"),
               "--fail-on", "low")[0] == 0


def test_audit_json_to_a_file_validates(tmp_path: Path) -> None:
    target = tmp_path / "audit.json"
    code, out, _ = run("audit", INV, "--format", "json", "-o", str(target))
    assert (code, out) == (0, "")
    schema = json.loads((REPO / "docs/schemas/audit.schema.json").read_text())
    jsonschema.validate(json.loads(target.read_text()), schema)


def test_reach_json() -> None:
    code, out, _ = run("reach", INV, "app-server", "--format", "json", "--service", "sqs")
    assert code == 0
    data = json.loads(out)
    assert data["principal"] == f"arn:aws:iam::{PROD}:role/app-server"
    assert data["items"] == [{
        "service": "sqs", "access_level": "Write",
        "target": f"arn:aws:sqs:us-east-1:{PROD}:orders", "scope": "resource",
        "actions": ["SendMessage"], "conditions": []}]


def test_blast_radius_one_and_all() -> None:
    code, out, _ = run("blast-radius", INV, "dave", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["admin"], data["reaches_admin"]) == (False, True)
    assert [b["id"] for b in data["becomes"]] == [OPS, f"arn:aws:iam::{PROD}:role/partner-access"]
    assert data["admin_paths"][0][0]["technique"] == "AWS-LMB-01"
    code, out, _ = run("blast-radius", INV, "--format", "json", "--top", "3")
    ranked = json.loads(out)
    assert [r["principal"] for r in ranked] == [
        "arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:role/break-glass",
        DAVE]


def test_who_can_and_paths() -> None:
    code, out, _ = run("who-can", INV, "lambda:CreateFunction", "*", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert DAVE in {d["principal"] for d in data["direct"]}
    code, out, _ = run("paths", INV, "--from", "dave", "--format", "json")
    assert json.loads(out)["paths"][0]["hops"][0]["to"] == OPS
    code, out, _ = run("paths", INV, "--from", "carol", "--to",
                       "arn:aws:s3:::acme-prod-uploads/reports/x.csv", "--format", "json")
    [first, second] = json.loads(out)["paths"][:2]
    assert (first["hops"], "s3:GetObject" in first["actions"]) == ([], True)
    assert second["hops"][0]["to"] == f"arn:aws:iam::{PROD}:role/partner-access"


@pytest.mark.parametrize("args", [
    ("audit", "missing.json"),
    ("reach", INV, "nobody"),
    ("who-can", INV, "notanaction", "*"),
    ("paths", INV, "--from", "ghost"),
])
def test_input_errors_exit_2(args: tuple[str, ...]) -> None:
    code, _, err = run(*args)
    assert code == EXIT_INPUT
    assert err.startswith("error: ")


EVIL = "evil\x1b[31m<b>x<i>\nFAKE\"q\\"
EVIL_ROLE = f"arn:aws:iam::{ACCT}:role/{EVIL}"
MALLORY = f"arn:aws:iam::{ACCT}:user/mal\x1b]0;pwn\x07lory"
EVIL_BUCKET = "</data><data key=\"n_admin\">true"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> str:
    tags = {"owner": "<script>alert(1)</script>", "note": "line\nbreak\x1b[2J"}
    data = collection(account(
        users=[user("mal\x1b]0;pwn\x07lory", tags=tags,
                    inline={"a": doc(allow("sts:AssumeRole", EVIL_ROLE))})],
        roles=[role(EVIL, trust({"AWS": MALLORY}), managed=(ADMIN_POLICY,), tags=tags)],
        policies=[ADMIN],
        resources=[bucket(EVIL_BUCKET, doc({"Effect": "Allow", "Principal": "*",
                                            "Action": "s3:GetObject",
                                            "Resource": f"arn:aws:s3:::{EVIL_BUCKET}/*"}))]))
    path = tmp_path_factory.mktemp("hostile") / "inv.json"
    path.write_text(json.dumps(data))
    return str(path)


def safe_text(out: str) -> None:
    assert "\x1b" not in out and "\x07" not in out
    assert "\nFAKE" not in out  # no forged line
    assert "\\x1b" in out


def test_hostile_names_in_text_outputs(hostile: str) -> None:
    for args in (("audit", hostile), ("blast-radius", hostile, MALLORY),
                 ("blast-radius", hostile), ("who-can", hostile, "iam:CreateUser", "*"),
                 ("paths", hostile, "--from", MALLORY), ("reach", hostile, EVIL_ROLE)):
        code, out, _ = run(*args)
        assert code == 0, args
        safe_text(out)
    code, out, _ = run("audit", hostile)
    assert "<b>x<i>\\x0aFAKE" in out  # shown, not obeyed


def test_hostile_names_in_json(hostile: str) -> None:
    code, out, _ = run("audit", hostile, "--format", "json")
    assert code == 0
    assert not [c for c in out if ord(c) < 32 and c != "\n"]  # JSON escapes them all
    data = json.loads(out)
    assert EVIL_ROLE in {p["id"] for p in data["principals"]}
    escalation = next(f for f in data["findings"] if f["rule_id"] == "aws_escalation_to_admin")
    assert (escalation["subject"], escalation["path"][0]["to"]) == (MALLORY, EVIL_ROLE)


def test_hostile_names_in_graph_exports(hostile: str, tmp_path: Path) -> None:
    for fmt in ("json", "graphml", "dot"):
        code, _, _ = run("graph", hostile, "--format", fmt, "-o", str(tmp_path / f"g.{fmt}"))
        assert code == 0
    graph = json.loads((tmp_path / "g.json").read_text())
    assert {EVIL_ROLE, MALLORY} <= {n["id"] for n in graph["nodes"]}

    graphml = (tmp_path / "g.graphml").read_text()
    assert "\x1b" not in graphml and "\x07" not in graphml
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    root = ET.fromstring(graphml)
    ids = {n.get("id") for n in root.iter("{http://graphml.graphdrawing.org/xmlns}node")}
    assert EVIL_ROLE.replace("\x1b", "\\x1b") in ids  # the newline survives as a character
    bucket_node = next(n for n in root.iterfind(".//g:node", ns)
                       if n.get("id") == f"arn:aws:s3:::{EVIL_BUCKET}")
    admin = [d.text for d in bucket_node if d.get("key") == "n_admin"]
    assert admin == ["false"]  # the name did not inject a data element

    dot = (tmp_path / "g.dot").read_text()
    assert "\x1b" not in dot and "\x07" not in dot
    lines = dot.splitlines()
    assert lines[0] == "digraph iamscope {" and lines[-1] == "}"
    body = lines[3:-1]
    assert len(body) == len(graph["nodes"]) + len(graph["edges"])
    assert all(line.startswith('  "') and line.endswith("];") for line in body)
    assert '<b>x<i>\\nFAKE\\"q\\\\' in dot
