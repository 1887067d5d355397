"""Inventory snapshots: exact round trips, a stable layout and clear errors on bad input."""

from __future__ import annotations

import copy
import json
import re
import typing
from dataclasses import MISSING, fields, is_dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamscope.errors import SnapshotError
from iamscope.model.inventory import Inventory, InventoryMetadata
from iamscope.model.policy import Condition, Effect, Policy, PolicyKind, PrincipalSpec, Statement
from iamscope.model.principal import (
    CredentialFacts,
    LastAccessedReport,
    Principal,
    PrincipalKind,
    Provider,
    ServiceLastAccessed,
)
from iamscope.model.resource import OrgNode, OrgNodeKind, Resource
from iamscope.model.snapshot import (
    SCHEMA_VERSION,
    dumps,
    inventory_from_dict,
    inventory_to_dict,
    loads,
    read_snapshot,
    write_snapshot,
)
from iamscope.model.source import CoverageGap, SourceRef

ACCT = "111122223333"
ALICE = f"arn:aws:iam::{ACCT}:user/eng/alice"
DEVS = f"arn:aws:iam::{ACCT}:group/devs"
DEPLOY = f"arn:aws:iam::{ACCT}:role/deploy"
READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
BOUNDARY = f"arn:aws:iam::{ACCT}:policy/boundary"
BUCKET = "arn:aws:s3:::logs"
PROJECT = "//cloudresourcemanager.googleapis.com/projects/my-proj"
SA = "serviceAccount:deploy@my-proj.iam.gserviceaccount.com"
MODEL_ENUMS = (Effect, PolicyKind, PrincipalKind, Provider, OrgNodeKind)


def _policy(pid: str, kind: PolicyKind, *statements: Statement, **extra: Any) -> Policy:
    return Policy(pid, kind, statements or (Statement(Effect.ALLOW, 0, actions=("*",)),), **extra)


def rich_inventory() -> Inventory:
    """Every model type, every field set at least once, every enum member used."""
    tf = SourceRef(file="iam.tf", line=12, address="aws_iam_role.deploy", api="iam:GetRole",
                   region="us-east-1", account=ACCT, pointer="/Roles/0")
    cond = Condition("ForAnyValue:StringLikeIfExists", "aws:PrincipalTag/team", ("eng", "ops"))
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",
                                                     "Resource": "*", "N": 1.5, "X": None}]}
    policies = [
        _policy(READONLY, PolicyKind.MANAGED, name="ReadOnlyAccess", version="2012-10-17",
                document=doc, aws_managed=True, default_version_id="v7", source=tf),
        _policy(BOUNDARY, PolicyKind.MANAGED, Statement(
            Effect.DENY, 0, sid="NoIam", not_actions=("iam:*",), not_resources=("arn:aws:iam::*",),
            conditions=(cond, Condition("Bool", "aws:MultiFactorAuthPresent", ("false",))))),
        _policy(f"{ALICE}/inline/s3", PolicyKind.INLINE, Statement(
            Effect.ALLOW, 0, actions=("s3:GetObject",), resources=(f"{BUCKET}/*",)),
            Statement(Effect.ALLOW, 1, actions=(), resources=())),
        _policy(f"{DEPLOY}/trust", PolicyKind.TRUST, Statement(
            Effect.ALLOW, 0, actions=("sts:AssumeRole",), principal=PrincipalSpec(
                aws=(ALICE, "*"), service=("lambda.amazonaws.com",),
                federated=(f"arn:aws:iam::{ACCT}:saml-provider/okta",)))),
        _policy(f"{BUCKET}/policy", PolicyKind.RESOURCE, Statement(
            Effect.DENY, 0, actions=("s3:*",), resources=(BUCKET,), not_principal=PrincipalSpec(
                canonical_user=("79a59df900b949e55d96a1e698fbaced",)))),
        _policy("p-scp", PolicyKind.SCP, Statement(
            Effect.ALLOW, 0, actions=("*",), principal=PrincipalSpec(wildcard=True))),
        _policy("p-rcp", PolicyKind.RCP),
        _policy(f"{DEPLOY}/session/0", PolicyKind.SESSION, version="2008-10-17"),
        _policy(f"{PROJECT}/allow", PolicyKind.GCP_ALLOW, Statement(
            Effect.ALLOW, 0, actions=("storage.objects.get",), principal=PrincipalSpec(gcp=(SA,)),
            gcp_condition='request.time < timestamp("2030-01-01T00:00:00Z")')),
        _policy(f"{PROJECT}/deny/no-delete", PolicyKind.GCP_DENY,
                Statement(Effect.DENY, 0, actions=("storage.buckets.delete",))),
    ]
    alice = Principal(
        ALICE, PrincipalKind.USER, Provider.AWS, "alice", account=ACCT, path="/eng/",
        unique_id="AIDAEXAMPLE", tags=(("team", "eng"), ("team", "eng-dup"), ("env", "")),
        policy_ids=(f"{ALICE}/inline/s3", READONLY), group_ids=(DEVS,),
        boundary_policy_id=BOUNDARY, trust_policy_id=None, instance_profile_ids=(),
        credentials=CredentialFacts(has_login_profile=False, access_keys_total=2,
                                    access_keys_active=0, mfa_devices=1), source=tf)
    principals = [
        alice,
        Principal(DEVS, PrincipalKind.GROUP, Provider.AWS, "devs", policy_ids=(READONLY,)),
        Principal(DEPLOY, PrincipalKind.ROLE, Provider.AWS, "deploy",
                  trust_policy_id=f"{DEPLOY}/trust",
                  instance_profile_ids=(f"arn:aws:iam::{ACCT}:instance-profile/deploy",),
                  credentials=CredentialFacts(), last_accessed=LastAccessedReport(
                      "2026-01-02T03:00:00Z", (
                          ServiceLastAccessed("kms"),
                          ServiceLastAccessed("s3", "2025-12-30T10:00:00Z", DEPLOY,
                                              "eu-west-1", 1)))),
        Principal(f"arn:aws:iam::{ACCT}:root", PrincipalKind.ACCOUNT_ROOT, Provider.AWS, ACCT),
        Principal("lambda.amazonaws.com", PrincipalKind.SERVICE, Provider.AWS, "lambda"),
        Principal(f"arn:aws:iam::{ACCT}:saml-provider/okta", PrincipalKind.FEDERATED,
                  Provider.AWS, "okta"),
        Principal("arn:aws:iam::999988887777:root", PrincipalKind.EXTERNAL_ACCOUNT, Provider.AWS,
                  "999988887777"),
        Principal("*", PrincipalKind.ANONYMOUS, Provider.AWS, "anonymous"),
        Principal("user:ann@example.com", PrincipalKind.GCP_USER, Provider.GCP, "ann"),
        Principal(SA, PrincipalKind.GCP_SERVICE_ACCOUNT, Provider.GCP, "deploy", account="my-proj",
                  unique_id="1234567890"),
        Principal("group:ops@example.com", PrincipalKind.GCP_GROUP, Provider.GCP, "ops"),
        Principal("domain:example.com", PrincipalKind.GCP_DOMAIN, Provider.GCP, "example.com"),
        Principal("allUsers", PrincipalKind.GCP_ALL_USERS, Provider.GCP, "allUsers"),
        Principal("allAuthenticatedUsers", PrincipalKind.GCP_ALL_AUTHENTICATED_USERS,
                  Provider.GCP, "allAuthenticatedUsers"),
        Principal("principalSet://iam.googleapis.com/projects/1/locations/global/"
                  "workloadIdentityPools/gh/*", PrincipalKind.GCP_WORKLOAD_IDENTITY, Provider.GCP,
                  "gh"),
        Principal("principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s",
                  PrincipalKind.GCP_WORKFORCE_IDENTITY, Provider.GCP, "s"),
    ]
    resources = [
        Resource(BUCKET, "aws:s3:bucket", Provider.AWS, account=ACCT, region="eu-west-1",
                 name="logs", policy_id=f"{BUCKET}/policy", tags=(("env", "prod"),),
                 attributes=(("public_access_block", "true"),), source=tf),
        Resource(PROJECT, "gcp:project", Provider.GCP, account="my-proj", name="my-proj",
                 parent="folders/42", policy_id=f"{PROJECT}/allow"),
    ]
    org_nodes = [
        OrgNode("r-root", OrgNodeKind.ROOT, Provider.AWS, name="Root", scp_ids=("p-scp",),
                rcp_ids=("p-rcp",), source=tf),
        OrgNode("ou-eng", OrgNodeKind.OU, Provider.AWS, name="eng", parent="r-root"),
        OrgNode(ACCT, OrgNodeKind.ACCOUNT, Provider.AWS, parent="ou-eng"),
        OrgNode("organizations/1", OrgNodeKind.ORGANIZATION, Provider.GCP),
        OrgNode("folders/42", OrgNodeKind.FOLDER, Provider.GCP, parent="organizations/1"),
        OrgNode("my-proj", OrgNodeKind.PROJECT, Provider.GCP, parent="folders/42"),
    ]
    gaps = [
        CoverageGap("s3 bucket policies", "AccessDenied", permission="s3:GetBucketPolicy",
                    account=ACCT, region="eu-west-1"),
        CoverageGap("organizations", "not the management account"),
    ]
    meta = InventoryMetadata("aws", "0.1.0", collected_at="2026-01-02T03:04:05Z",
                             accounts=(ACCT, "my-proj"), organization_id="o-abc123",
                             management_account=ACCT, catalog_version="0.1.202610271",
                             notes=("partial collection", "ünïcödé ✓"))
    return Inventory.build(meta, principals=reversed(principals), policies=policies,
                           resources=resources, org_nodes=org_nodes, gaps=gaps)


def _documents(inv: Inventory) -> dict[str, Any]:
    return {pid: p.document for pid, p in inv.policies.items()}


def _instances(value: Any) -> typing.Iterator[Any]:
    """Every dataclass instance reachable from ``value``."""
    if is_dataclass(value) and not isinstance(value, type):
        yield value
        for f in fields(value):
            yield from _instances(getattr(value, f.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _instances(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _instances(item)


# ------------------------------------------------------------------------ round trips


def test_rich_inventory_touches_every_type_field_and_enum_member() -> None:
    inv = rich_inventory()
    found = list(_instances(inv))
    types_seen = {type(obj) for obj in found}
    assert types_seen >= {Inventory, InventoryMetadata, Principal, CredentialFacts, Policy,
                          Statement, Condition, PrincipalSpec, Resource, OrgNode, SourceRef,
                          CoverageGap, LastAccessedReport, ServiceLastAccessed}
    for cls in types_seen:
        for f in fields(cls):
            default = f.default if f.default is not MISSING else None
            assert any(getattr(obj, f.name) not in (default, (), {}) for obj in found
                       if type(obj) is cls), f"{cls.__name__}.{f.name} never set"
    used = {getattr(obj, f.name) for obj in found for f in fields(obj)
            if isinstance(getattr(obj, f.name), Enum)}
    for enum in MODEL_ENUMS:
        assert set(enum) <= used, enum


def test_rich_inventory_round_trips_exactly(tmp_path: Path) -> None:
    inv = rich_inventory()
    path = tmp_path / "inventory.json"
    write_snapshot(inv, path)
    back = read_snapshot(path)
    assert back == inv
    assert _documents(back) == _documents(inv)  # compare=False on Policy.document
    assert back.policies[READONLY].document is not None
    assert [p.id for p in back.principals.values()] == sorted(inv.principals)
    assert dumps(back) == path.read_text(encoding="utf-8")  # writing is deterministic
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_layout_is_sorted_and_omits_none() -> None:
    data = inventory_to_dict(rich_inventory())
    assert list(data) == ["format", "schema_version", "generator", "metadata", "principals",
                          "policies", "resources", "org_nodes", "gaps"]
    assert data["format"] == "iamscope-inventory"
    assert data["schema_version"] == SCHEMA_VERSION == 2
    assert data["generator"].startswith("iamscope ")
    for section in ("principals", "policies", "resources", "org_nodes"):
        ids = [item["id"] for item in data[section]]
        assert ids == sorted(ids)
    alice = next(p for p in data["principals"] if p["id"] == ALICE)
    assert alice["kind"] == "user" and alice["provider"] == "aws"
    assert alice["tags"] == [["team", "eng"], ["team", "eng-dup"], ["env", ""]]
    assert "trust_policy_id" not in alice
    assert alice["instance_profile_ids"] == []
    session = next(p for p in data["policies"] if p["kind"] == "session")
    assert "name" not in session and "document" not in session
    assert session["statements"][0] == {"effect": "Allow", "index": 0, "actions": ["*"],
                                        "conditions": []}
    assert json.loads(json.dumps(data)) == data  # plain JSON data only


def test_hand_written_snapshot_may_omit_defaults_and_use_null() -> None:
    data = {"format": "iamscope-inventory", "schema_version": 1,
            "metadata": {"collector": "manual", "collector_version": "1"},
            "principals": [{"id": "x", "kind": "user", "provider": "aws", "name": "x",
                            "path": None, "credentials": {"mfa_devices": 0}}]}
    expected = Principal("x", PrincipalKind.USER, Provider.AWS, "x",
                         credentials=CredentialFacts(mfa_devices=0))
    assert loads(json.dumps(data)) == Inventory.build(InventoryMetadata("manual", "1"),
                                                      principals=[expected])


def test_writer_refuses_an_inventory_keyed_by_the_wrong_id() -> None:
    broken = Inventory(InventoryMetadata("manual", "1"),
                       principals={"a": Principal("b", PrincipalKind.USER, Provider.AWS, "b")})
    with pytest.raises(ValueError, match="maps 'a' to the principal 'b'"):
        dumps(broken)


def test_lone_surrogate_survives_a_file_round_trip(tmp_path: Path) -> None:
    meta = InventoryMetadata("manual", "1", notes=("\ud800",))
    inv = Inventory.build(meta)
    write_snapshot(inv, tmp_path / "s.json")
    assert read_snapshot(tmp_path / "s.json") == inv


# -------------------------------------------------------------------- documentation

DOC = Path(__file__).resolve().parents[2] / "docs" / "inventory.md"
DOC_SECTIONS = {"Metadata": InventoryMetadata, "Principal": Principal,
                "CredentialFacts": CredentialFacts, "Policy": Policy, "Statement": Statement,
                "PrincipalSpec": PrincipalSpec, "Condition": Condition, "Resource": Resource,
                "OrgNode": OrgNode, "SourceRef": SourceRef, "CoverageGap": CoverageGap,
                "LastAccessedReport": LastAccessedReport,
                "ServiceLastAccessed": ServiceLastAccessed}


def test_docs_describe_every_model_field() -> None:
    text = DOC.read_text(encoding="utf-8")
    for heading, cls in DOC_SECTIONS.items():
        section = text.split(f"\n### {heading}\n", 1)[1].split("\n#", 1)[0]
        documented = re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE)
        assert documented == [f.name for f in fields(cls)], heading


def test_docs_example_is_a_valid_snapshot() -> None:
    example = DOC.read_text(encoding="utf-8").split("## Example", 1)[1]
    inv = loads(example.split("```json\n", 1)[1].split("```", 1)[0])
    assert inv.org_chain(ACCT)[0].id == "r-a1b2"
    assert [p.kind for p in inv.policies.values()] == [PolicyKind.INLINE, PolicyKind.TRUST]


# ------------------------------------------------------------- property-based checks


def _json_values() -> st.SearchStrategy[Any]:
    scalars = (st.none() | st.booleans() | st.integers()
               | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


def _strategy(tp: Any) -> st.SearchStrategy[Any]:
    """A strategy for any type the model uses, read from the dataclass type hints."""
    if tp is Any:
        return _json_values()
    if isinstance(tp, type) and is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return st.builds(tp, **{f.name: _strategy(hints[f.name]) for f in fields(tp)})
    if isinstance(tp, type) and issubclass(tp, Enum):
        return st.sampled_from(tp)
    simple = {bool: st.booleans(), int: st.integers(), str: st.text(max_size=12)}
    if tp in simple:
        return simple[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is tuple and args[-1] is Ellipsis:
        return st.lists(_strategy(args[0]), max_size=3).map(tuple)
    if origin is tuple:
        return st.tuples(*map(_strategy, args))
    if origin is dict:
        return st.dictionaries(st.text(max_size=5), _strategy(args[1]), max_size=3)
    present = [a for a in args if a is not type(None)]
    assert len(present) == 1, tp
    return st.none() | _strategy(present[0])


def _elements(cls: type) -> st.SearchStrategy[list[Any]]:
    return st.lists(_strategy(cls), max_size=4, unique_by=lambda item: item.id)


inventories = st.builds(
    Inventory.build, _strategy(InventoryMetadata), principals=_elements(Principal),
    policies=_elements(Policy), resources=_elements(Resource), org_nodes=_elements(OrgNode),
    gaps=st.lists(_strategy(CoverageGap), max_size=3))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inventories)
def test_random_inventories_round_trip(inv: Inventory) -> None:
    text = dumps(inv)
    back = loads(text)
    assert back == inv
    assert _documents(back) == _documents(inv)
    assert dumps(back) == text


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> typing.Iterator[tuple[Any, ...]]:
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, item in items:
        yield from _paths(item, (*prefix, key))


RICH = json.loads(dumps(rich_inventory()))
RICH_PATHS = [p for p in _paths(RICH) if p]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(RICH_PATHS), _json_values(), st.booleans())
def test_corrupted_snapshots_load_or_fail_cleanly(path: tuple, value: Any, delete: bool) -> None:
    data = copy.deepcopy(RICH)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    try:
        inventory_from_dict(data)
    except SnapshotError as exc:
        assert str(exc)


# ------------------------------------------------------------------------- bad input


def _snapshot(**changes: Any) -> dict[str, Any]:
    data = json.loads(dumps(rich_inventory()))
    data.update(changes)
    return data


def _error(data: Any) -> str:
    with pytest.raises(SnapshotError) as info:
        loads(data if isinstance(data, str) else json.dumps(data))
    return str(info.value)


def test_invalid_json() -> None:
    assert _error('{"format": "iamscope-inventory",\n  "schema_version": 1,,}') == (
        "invalid JSON at line 2 column 23: Expecting property name enclosed in double quotes")
    assert _error('{"a": NaN}') == "invalid JSON: NaN is not a JSON number"
    with pytest.raises(SnapshotError, match=r"invalid JSON: .*can't decode byte 0xff"):
        loads(b'{"a": "\xff"}')
    assert _error("[" * 200_000 + "]" * 200_000) == (
        "invalid JSON: arrays or objects are nested too deeply")


def test_not_a_snapshot() -> None:
    assert _error([1]) == ("not an iamscope inventory snapshot: the top level is an array of "
                           "1 item, expected an object")
    assert _error({"Version": "2012-10-17"}) == (
        'not an iamscope inventory snapshot: "format" is missing, not "iamscope-inventory"')
    assert _error(_snapshot(format="cloudsplaining")) == (
        'not an iamscope inventory snapshot: "format" is the string "cloudsplaining", '
        'not "iamscope-inventory"')


def test_missing_schema_version() -> None:
    data = _snapshot()
    del data["schema_version"]
    assert _error(data) == "the snapshot has no 'schema_version'; cannot tell how to read it"
    assert _error(_snapshot(schema_version="1")) == (
        'schema_version must be an integer, got the string "1"')
    assert _error(_snapshot(schema_version=True)) == "schema_version must be an integer, got true"
    assert _error(_snapshot(generator=7)) == "generator: expected a string, got the number 7"
    data = _snapshot()
    del data["metadata"]
    assert _error(data) == "the snapshot has no 'metadata' object"


def test_newer_schema_version_asks_for_an_upgrade() -> None:
    message = _error(_snapshot(schema_version=3, generator="iamscope 9.0.0", future=[1]))
    assert message == ("snapshot schema_version 3 was written by a newer iamscope "
                       "(iamscope 9.0.0); this build reads schema_version 2 at most; "
                       "upgrade iamscope")


def test_older_unknown_schema_version() -> None:
    assert _error(_snapshot(schema_version=0)) == (
        "unknown snapshot schema_version 0; this build reads schema_version 1 to 2")


def test_version_1_snapshots_still_load() -> None:
    """docs/inventory.md, Versioning: version 2 only added Principal.last_accessed."""
    data = _snapshot(schema_version=1)
    for principal in data["principals"]:
        principal.pop("last_accessed", None)
    inv = inventory_from_dict(data)
    assert inv.principals[DEPLOY].last_accessed is None
    assert inv.principals[ALICE] == rich_inventory().principals[ALICE]


def test_version_1_cannot_hold_last_accessed() -> None:
    message = _error(_snapshot(schema_version=1))
    assert "'last_accessed' needs schema_version 2, but the snapshot says 1" in message
    assert f"(id {DEPLOY!r})" in message


def test_last_accessed_round_trips() -> None:
    report = loads(dumps(rich_inventory())).principals[DEPLOY].last_accessed
    assert report is not None and report.job_completed_at == "2026-01-02T03:00:00Z"
    s3 = report.service("s3")
    assert s3 is not None and s3.last_authenticated_entity == DEPLOY
    kms = report.service("kms")
    assert kms is not None and kms.last_authenticated is None
    assert report.service("sqs") is None


def test_wrong_types_name_the_element_and_field() -> None:
    data = _snapshot()
    alice = next(p for p in data["principals"] if p["id"] == ALICE)
    index = data["principals"].index(alice)
    alice["credentials"]["access_keys_total"] = "2"
    assert _error(data) == (f"principals[{index}] (id '{ALICE}').credentials.access_keys_total: "
                            'expected an integer, got the string "2"')
    alice["credentials"]["access_keys_total"] = True
    assert _error(data).endswith("expected an integer, got true")
    alice["credentials"]["access_keys_total"] = 2
    alice["tags"][1] = ["team"]
    assert _error(data).endswith(".tags[1]: expected an array of 2 items, got an array of 1 item")
    alice["tags"] = {"team": "eng"}
    assert _error(data).endswith(".tags: expected an array, got an object")
    data = _snapshot()
    data["policies"][0]["statements"][0]["actions"] = ["s3:GetObject", 5]
    assert _error(data).endswith(".statements[0].actions[1]: expected a string, "
                                 "got the number 5")
    assert _error(_snapshot(metadata={"collector": "aws"})) == (
        "metadata: missing required field 'collector_version'")
    assert _error(_snapshot(gaps=[{"scope": "s", "reason": None}])) == (
        "gaps[0].reason: expected a string, got null")
    assert _error(_snapshot(org_nodes={})) == "org_nodes: expected an array, got an object"
    assert _error(_snapshot(resources=["x"])) == (
        'resources[0]: expected an object (Resource), got the string "x"')
    data = _snapshot()
    data["policies"][0]["document"] = ["not", "an", "object"]
    assert _error(data).endswith(".document: expected an object, got an array of 3 items")


def test_unknown_enum_value() -> None:
    data = _snapshot()
    data["policies"][0]["statements"][0]["effect"] = "allow"
    pid = data["policies"][0]["id"]
    assert _error(data) == (f"policies[0] (id '{pid}').statements[0].effect: unknown Effect "
                            'value "allow"; expected one of "Allow", "Deny"')
    data = _snapshot()
    data["org_nodes"][0]["kind"] = 3
    assert _error(data).endswith('.kind: expected one of "root", "ou", "account", '
                                 '"organization", "folder", "project"; got the number 3')


def test_duplicate_ids() -> None:
    data = _snapshot()
    data["resources"].append(copy.deepcopy(data["resources"][0]))
    rid = data["resources"][0]["id"]
    assert _error(data) == (f"resources[2] (id '{rid}'): duplicate resource id '{rid}' "
                            "(first at resources[0])")


def test_unknown_fields_are_errors_unless_under_extensions() -> None:
    data = _snapshot()
    data["principals"][0]["colour"] = "blue"
    pid = data["principals"][0]["id"]
    assert _error(data) == (f"principals[0] (id '{pid}'): unknown field 'colour' (newer data "
                            "belongs in an 'extensions' object, which readers ignore)")
    assert _error(_snapshot(edges=[])).startswith("the snapshot: unknown field 'edges'")
    data = _snapshot(extensions={"edges": [1, 2]})
    data["principals"][0]["extensions"] = {"colour": "blue"}
    data["policies"][0]["statements"][0]["extensions"] = {"x": {"y": None}}
    data["metadata"]["extensions"] = {}
    assert loads(json.dumps(data)) == rich_inventory()
    data["metadata"]["extensions"] = ["x"]
    assert _error(data) == "metadata.extensions: expected an object, got an array of 1 item"


def test_unreadable_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(SnapshotError, match=r"cannot read snapshot .*nope\.json: No such file"):
        read_snapshot(missing)
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    with pytest.raises(SnapshotError, match=r"bad\.json: not an iamscope inventory snapshot"):
        read_snapshot(bad)
