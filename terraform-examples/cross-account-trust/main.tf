# Roles that other AWS accounts assume. The vendor integration is guarded by an external
# id (as AWS recommends for third parties); the audit role trusts a whole foreign account
# with no condition at all; the deploy-bridge role trusts every principal of the
# organisation through aws:PrincipalOrgID.

locals {
  vendor_account  = "999988887777"
  auditor_account = "444455556666"
}

resource "aws_iam_role" "vendor_monitoring" {
  name = "vendor-monitoring"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::${local.vendor_account}:root" }
      Condition = { StringEquals = { "sts:ExternalId" = "acme-7f3c2a" } }
    }]
  })
}

resource "aws_iam_role_policy" "vendor_monitoring" {
  name = "read-metrics"
  role = aws_iam_role.vendor_monitoring.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_role" "external_audit" {
  name = "external-audit"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::${local.auditor_account}:root" }
    }]
  })
}

resource "aws_iam_role_policy" "external_audit" {
  name = "read-secrets-for-audit"
  role = aws_iam_role.external_audit.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue", "secretsmanager:ListSecrets"]
      Resource = "*"
    }]
  })
}
