"""boto3 sessions and clients for collection: the standard credential chain only.

Credentials come from boto3's chain (``--profile``, environment, SSO, instance roles) and,
with ``role_arn``, from assuming an audit role first. iamscope never prints, logs or
stores credentials: they live only inside boto3 session objects.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

USER_AGENT = "iamscope-collector"
DEFAULT_SESSION_NAME = "iamscope-audit"


def _boto3() -> Any:
    try:
        import boto3
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
        from iamscope.errors import InputError

        raise InputError("AWS collection needs boto3: pip install 'iamscope[aws]'") from exc
    return boto3


def client_config(max_pool: int = 16, *, local: bool = False) -> Any:
    """Adaptive retries (client-side rate limiting plus backoff) for throttling; a local
    endpoint (moto, LocalStack) does not throttle, so it gets few, quick retries."""
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "max_attempts": 2} if local else
        {"mode": "adaptive", "max_attempts": 10},
        max_pool_connections=max_pool,
        user_agent_extra=USER_AGENT,
        connect_timeout=10,
        read_timeout=60,
    )


def _pin_host(client: Any, endpoint_url: str) -> None:
    """Keep every request on ``endpoint_url``. Some APIs (S3 Control) prefix the host with
    the account id (``<account>.<host>``), which a local endpoint such as moto on 127.0.0.1
    cannot resolve."""
    from urllib.parse import urlsplit, urlunsplit

    target = urlsplit(endpoint_url).netloc

    def pin(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        if parts.netloc != target and parts.netloc.endswith("." + target):
            request.url = urlunsplit(parts._replace(netloc=target))

    client.meta.events.register("before-send", pin)


@dataclass
class AwsConnection:
    """How to reach one AWS account. Create clients with ``client``; derive a connection
    into another account with ``assume``."""

    profile: str | None = None
    region: str = "us-east-1"
    endpoint_url: str | None = None
    max_pool: int = 16
    _session: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def session(self) -> Any:
        with self._lock:
            if self._session is None:
                boto3 = _boto3()
                self._session = boto3.session.Session(profile_name=self.profile,
                                                      region_name=self.region)
            return self._session

    def client(self, service: str, region: str | None = None) -> Any:
        # boto3 sessions are not thread-safe to create clients from concurrently.
        session = self.session()
        with self._lock:
            client = session.client(
                service,
                region_name=region or self.region,
                endpoint_url=self.endpoint_url,
                config=client_config(self.max_pool, local=bool(self.endpoint_url)),
            )
        if self.endpoint_url:
            _pin_host(client, self.endpoint_url)
        return client

    def assume(self, role_arn: str, session_name: str = DEFAULT_SESSION_NAME,
               external_id: str | None = None) -> AwsConnection:
        """A connection whose credentials come from assuming ``role_arn`` from this one."""
        kwargs: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": session_name}
        if external_id:
            kwargs["ExternalId"] = external_id
        response = self.client("sts").assume_role(**kwargs)
        credentials = response["Credentials"]
        boto3 = _boto3()
        session = boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self.region,
        )
        return replace(self, profile=None, _session=session, _lock=threading.Lock())

    def caller_account(self) -> tuple[str, str]:
        """(account id, partition) of the credentials in use."""
        identity = self.client("sts").get_caller_identity()
        partition = identity["Arn"].split(":", 2)[1]
        return identity["Account"], partition

    @classmethod
    def from_session(cls, session: Any, **kwargs: Any) -> AwsConnection:
        """Wrap an existing boto3 session (used by tests and by ``iamscope demo``)."""
        return cls(_session=session, **kwargs)
