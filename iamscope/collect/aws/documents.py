"""Policy documents as AWS hands them over: objects, JSON text, or URL-encoded JSON text.

IAM's query API returns policy documents URL-encoded (RFC 3986), e.g.
``%7B%22Version%22%3A...`` (IAM API Reference, GetRolePolicy / GetAccountAuthorizationDetails:
"The policy document returned in this structure is URL-encoded compliant with RFC 3986").
boto3 and the AWS CLI usually decode them; dumps made by other tools may not.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote


class DocumentError(ValueError):
    """The document is neither a JSON object nor (URL-encoded) JSON text of one."""


def decode_document(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise DocumentError(f"a policy document must be an object or JSON text, not "
                            f"{type(value).__name__}")
    text = value.strip()
    if text.startswith("%7B") or text.startswith("%7b") or (
        not text.startswith("{") and "%22" in text
    ):
        text = unquote(text)
    try:
        decoded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"not valid JSON: {exc.msg} at position {exc.pos}") from None
    except RecursionError:
        raise DocumentError("JSON nested too deeply") from None
    if not isinstance(decoded, dict):
        raise DocumentError("the document is not a JSON object")
    return decoded
