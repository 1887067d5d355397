"""A real moto server over HTTP on 127.0.0.1 for collector tests (no patching of boto3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import boto3

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def free_port() -> int:
    from iamscope.demo.run import free_port as pick

    return pick()


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's ThreadedMotoServer on a free loopback port (the demo's embedded AWS)."""
    from iamscope.demo.run import embedded_aws

    with embedded_aws() as endpoint:
        yield endpoint


def reset(endpoint: str) -> None:
    """Forget every resource in the server (moto's reset API)."""
    import urllib.request

    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def session(region: str = "us-east-1", **credentials: str) -> boto3.session.Session:
    return boto3.session.Session(region_name=region, **(credentials or CREDENTIALS))
