# A Lambda function that reads orders from one DynamoDB table and writes receipts to one
# S3 prefix. Every statement names its resources; the role trusts only Lambda, for
# functions of this account.

terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}

variable "service" {
  type    = string
  default = "receipts"
}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "service" {
  name               = "${var.service}-fn"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "service" {
  statement {
    sid       = "ReadOrders"
    actions   = ["dynamodb:GetItem", "dynamodb:Query"]
    resources = ["arn:aws:dynamodb:eu-west-1:${data.aws_caller_identity.current.account_id}:table/orders"]
  }
  statement {
    sid       = "WriteReceipts"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::acme-receipts/${var.service}/*"]
  }
  statement {
    sid     = "Logs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "arn:aws:logs:eu-west-1:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda/${var.service}-fn:*",
    ]
  }
}

resource "aws_iam_role_policy" "service" {
  name   = "${var.service}-access"
  role   = aws_iam_role.service.id
  policy = data.aws_iam_policy_document.service.json
}
