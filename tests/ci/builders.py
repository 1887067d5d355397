"""Small inventories for the check tests: AWS through the collector's raw shape
(tests/graph/builders), GCP bindings built with the model classes."""

from __future__ import annotations

from iamscope.model.inventory import Inventory, InventoryMetadata
from iamscope.model.policy import Effect, Policy, PolicyKind, PrincipalSpec, Statement
from iamscope.model.principal import Provider
from iamscope.model.resource import Resource
from iamscope.model.source import SourceRef
from tests.graph.builders import account, collection, doc, inventory, role, trust

PROJECT = "//cloudresourcemanager.googleapis.com/projects/shop-prod"
LAMBDA = trust({"Service": "lambda.amazonaws.com"})


def one_role(*statements: dict, name: str = "app") -> Inventory:
    """A role with one inline policy made of ``statements``."""
    return inventory(collection(account(roles=[
        role(name, LAMBDA, inline={"main": doc(*statements)})])))


def inline_id(name: str = "app", policy: str = "main") -> str:
    return f"arn:aws:iam::111122223333:role/{name}/inline/{policy}"


def gcp_custom_role(permissions: tuple[str, ...], *members: str,
                    target: str = PROJECT) -> Inventory:
    """A custom role (expanded: its permissions, its name as the Sid) bound on ``target``."""
    policy = Policy(
        id=f"{target}/iam", kind=PolicyKind.GCP_ALLOW, name=target.split("/", 3)[-1],
        statements=(Statement(Effect.ALLOW, 0, sid="projects/shop-prod/roles/deployer",
                              actions=permissions, principal=PrincipalSpec(gcp=members)),),
        source=SourceRef(file="main.tf", line=20, address="google_project_iam_member.y"))
    return Inventory.build(InventoryMetadata("terraform", "test"), policies=[policy])


def gcp_project(role_name: str, *members: str, condition: str | None = None) -> Inventory:
    policy = Policy(
        id=f"{PROJECT}/iam", kind=PolicyKind.GCP_ALLOW, name="projects/shop-prod",
        statements=(Statement(Effect.ALLOW, 0, actions=(role_name,),
                              principal=PrincipalSpec(gcp=members),
                              gcp_condition=condition),),
        source=SourceRef(file="main.tf", line=12, address="google_project_iam_member.x"))
    project = Resource(PROJECT, "gcp:project", Provider.GCP, name="shop-prod",
                       policy_id=policy.id)
    return Inventory.build(InventoryMetadata("terraform", "test"), policies=[policy],
                           resources=[project])
