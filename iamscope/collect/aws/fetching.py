"""What the AWS fetchers share: one fetch run with its clients and gaps, guarded calls,
pagination, bounded per-item parallelism, and JSON-safe values.

A fetcher is a function ``(connection, account_id, partition, region) -> FetchResult``.
Inside it, every AWS call goes through ``Fetch.call`` / ``Fetch.items``, which name the
IAM action the call needs; a failure becomes a gap (``errors.classify``) and the call
returns ``FAILED``, while "nothing configured" answers return ``None``. Fetchers never
interpret policies: documents are kept as the API returned them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

from iamscope.collect.aws.errors import classify
from iamscope.collect.aws.raw import CredentialsRaw, GapRaw, ResourceRaw
from iamscope.collect.aws.session import AwsConnection

# Per-item calls (one bucket, one key, one user) of one fetch run at most this many at a
# time, and never more than the connection's HTTP pool.
ITEM_WORKERS = 8

T = TypeVar("T")
R = TypeVar("R")


class Failed(Enum):
    """The value of a call that failed; a gap says why."""

    FAILED = "failed"


FAILED = Failed.FAILED


@dataclass
class FetchResult:
    """The partial results of one fetcher run. ``authorization_details`` is only set by the
    IAM fetcher (``authorization_complete`` when every page was read);
    ``ssm_instance_ids`` only by the SSM fetcher, and only when the listing was complete."""

    resources: list[ResourceRaw] = field(default_factory=list)
    gaps: list[GapRaw] = field(default_factory=list)
    authorization_details: dict[str, Any] | None = None
    authorization_complete: bool = False
    credentials: dict[str, CredentialsRaw] = field(default_factory=dict)
    account_alias: str | None = None
    ssm_instance_ids: frozenset[str] | None = None


Fetcher = Callable[[AwsConnection, str, str, str | None], FetchResult]


def gap_key(gap: GapRaw) -> tuple[str, str, str, str, str]:
    return (gap.get("account") or "", gap.get("region") or "", gap["scope"], gap["reason"],
            gap.get("permission") or "")


class Fetch:
    """One fetcher run in one account and region (``None`` for global services)."""

    def __init__(self, connection: AwsConnection, service: str, account_id: str,
                 partition: str, region: str | None):
        self.connection = connection
        self.service = service
        self.account_id = account_id
        self.partition = partition
        self.region = region
        self.result = FetchResult()
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str | None = None, region: str | None = None) -> Any:
        key = (service or self.service, region or self.region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self.connection.client(key[0], key[1])
            return self._clients[key]

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        where = region if region is not None else (self.region or "")
        return f"arn:{self.partition}:{service}:{where}:{self.account_id}:{resource}"

    def add_gap(self, gap: GapRaw) -> None:
        with self._lock:
            self.result.gaps.append(gap)

    def add(self, resource: ResourceRaw) -> None:
        with self._lock:
            self.result.resources.append(resource)

    def call(self, scope: str, permission: str, method: str, *, client: Any = None,
             **params: Any) -> Any:
        """The response of ``method`` (without ``ResponseMetadata``), ``None`` when the
        API answered "none configured", or ``FAILED`` after recording a gap."""
        client = client or self.client()
        try:
            response = getattr(client, method)(**params)
        except Exception as exc:
            return self._failed(exc, client, scope, permission)
        response.pop("ResponseMetadata", None)
        return response

    def pages(self, scope: str, permission: str, method: str, *, client: Any = None,
              **params: Any) -> tuple[list[dict[str, Any]], bool]:
        """Every page of ``method`` (one page if it does not paginate) and whether the
        listing is complete; on a failure the pages read so far and a gap."""
        client = client or self.client()
        collected: list[dict[str, Any]] = []
        try:
            if client.can_paginate(method):
                for page in client.get_paginator(method).paginate(**params):
                    page.pop("ResponseMetadata", None)
                    collected.append(page)
            else:
                page = getattr(client, method)(**params)
                page.pop("ResponseMetadata", None)
                collected.append(page)
        except Exception as exc:
            return collected, self._failed(exc, client, scope, permission) is None
        return collected, True

    def items(self, scope: str, permission: str, method: str, key: str, *,
              client: Any = None, **params: Any) -> tuple[list[Any], bool]:
        """The ``key`` list of every page of ``method``, and whether it is complete."""
        pages, complete = self.pages(scope, permission, method, client=client, **params)
        return [item for page in pages for item in page.get(key) or []], complete

    def each(self, items: Sequence[T], work: Callable[[T], R]) -> list[R]:
        """``work`` on every item, bounded in parallel, results in item order."""
        workers = max(1, min(ITEM_WORKERS, self.connection.max_pool, len(items)))
        if workers == 1:
            return [work(item) for item in items]
        with ThreadPoolExecutor(max_workers=workers,
                                thread_name_prefix=f"iamscope-{self.service}") as pool:
            return list(pool.map(work, items))

    def finish(self) -> FetchResult:
        self.result.resources.sort(key=lambda r: r["arn"])
        self.result.gaps.sort(key=gap_key)
        return self.result

    def _failed(self, exc: Exception, client: Any, scope: str, permission: str) -> Failed | None:
        service = client.meta.service_model.service_name
        outcome = classify(exc, service=service, scope=scope, permission=permission,
                           account=self.account_id, region=self.region)
        if outcome.absent:
            return None
        assert outcome.gap is not None
        self.add_gap(outcome.gap)
        return FAILED


def resource(arn: str, type_: str, region: str | None, name: str, *, policy: Any = FAILED,
             tags: Any = FAILED, attributes: dict[str, Any] | None = None) -> ResourceRaw:
    """A ``ResourceRaw``. ``FAILED`` values (policy, tags, attributes) are left out: not
    learned, and a gap says why."""
    raw: ResourceRaw = {"arn": arn, "type": type_, "region": region, "name": name}
    if policy is not FAILED:
        raw["policy"] = jsonable(policy)
    if isinstance(tags, dict):
        raw["tags"] = tags
    if attributes is not None:
        raw["attributes"] = {k: jsonable(v) for k, v in attributes.items() if v is not FAILED}
    return raw


def tag_dict(tags: Any, key: str = "Key", value: str = "Value") -> dict[str, str] | Failed:
    """``[{"Key": k, "Value": v}]`` as ``{k: v}``; ``FAILED`` stays ``FAILED``."""
    if tags is FAILED:
        return FAILED
    return {str(t[key]): str(t.get(value, "")) for t in tags or []}


def field_of(response: Any, *path: str) -> Any:
    """``response[path...]``, ``FAILED`` if the call failed, ``None`` if absent."""
    if response is FAILED:
        return FAILED
    value = response
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def role_arn(partition: str, account_id: str, role: str | None) -> str | None:
    """An IAM role ARN from a value some services accept as a role name or an ARN.
    A name may include a path (``service-role/x``); a bare name assumes the path ``/``."""
    if not role:
        return None
    if role.startswith("arn:"):
        return role
    return f"arn:{partition}:iam::{account_id}:role/{role.lstrip('/')}"


def jsonable(value: Any) -> Any:
    """Plain JSON data: datetimes as ISO 8601 strings, no ``ResponseMetadata``."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
