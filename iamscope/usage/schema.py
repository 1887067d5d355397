"""The usage store's tables: the contract between ingestion and the minimizer.

Cloud-neutral: ``principal`` is the policy owner's id as the inventory names it (an IAM role
or user ARN, a GCP member), ``action`` a permission (``s3:GetObject``,
``storage.objects.get``), ``resource`` an ARN / full resource name or ``*``.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

# One row per (principal, action, resource, source): successful calls only.
# ``source`` is where the evidence comes from: "cloudtrail" (management event),
# "cloudtrail-data" (data event), or "inferred" (a permission the log implies but never
# records, e.g. iam:PassRole on the role named in lambda:CreateFunction's parameters).
USAGE = """
CREATE TABLE IF NOT EXISTS usage (
    principal  VARCHAR NOT NULL,
    action     VARCHAR NOT NULL,
    resource   VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen  TIMESTAMP NOT NULL,
    count      BIGINT NOT NULL,
    source     VARCHAR NOT NULL,
    account    VARCHAR,
    PRIMARY KEY (principal, action, resource, source)
)"""

# Calls refused with AccessDenied / Unauthorized*: reported, never counted as usage.
DENIED = """
CREATE TABLE IF NOT EXISTS denied (
    principal  VARCHAR NOT NULL,
    action     VARCHAR NOT NULL,
    resource   VARCHAR NOT NULL,
    error_code VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen  TIMESTAMP NOT NULL,
    count      BIGINT NOT NULL,
    PRIMARY KEY (principal, action, resource, error_code)
)"""

# Events that map to no known action: counted, never guessed.
UNMAPPED = """
CREATE TABLE IF NOT EXISTS unmapped (
    event_source VARCHAR NOT NULL,
    event_name   VARCHAR NOT NULL,
    reason       VARCHAR NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (event_source, event_name, reason)
)"""

# Role assumption observed in the logs: ``principal`` became ``role``.
BECAME = """
CREATE TABLE IF NOT EXISTS became (
    principal  VARCHAR NOT NULL,
    role       VARCHAR NOT NULL,
    action     VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen  TIMESTAMP NOT NULL,
    count      BIGINT NOT NULL,
    PRIMARY KEY (principal, role, action)
)"""

# Ingested inputs, so re-runs skip what is already in the store.
FILES = """
CREATE TABLE IF NOT EXISTS files (
    path        VARCHAR PRIMARY KEY,
    size        BIGINT NOT NULL,
    mtime       DOUBLE,
    events      BIGINT NOT NULL,
    kept        BIGINT NOT NULL,
    problems    VARCHAR,
    ingested_at TIMESTAMP NOT NULL
)"""

# Per account and event kind, the time window the ingested logs cover. ``kind`` is
# "management" or "data:<service>" (data:s3, data:lambda, data:dynamodb): the minimizer keeps
# data-plane permissions (flagged) for services whose data events were never seen.
COVERAGE = """
CREATE TABLE IF NOT EXISTS coverage (
    account    VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen  TIMESTAMP NOT NULL,
    events     BIGINT NOT NULL,
    PRIMARY KEY (account, kind)
)"""

META = """
CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
)"""

TABLES = (USAGE, DENIED, UNMAPPED, BECAME, FILES, COVERAGE, META)
