terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "3.39.0" }
  }
}

variable "endpoint" {
  type    = string
  default = "http://127.0.0.1:45999"
}

# hashicorp/aws 3.39 talking only to the emulator (moto + onto's extension).
provider "aws" {
  region     = "us-east-1"
  access_key = "test"
  secret_key = "test"

  skip_credentials_validation = true # no sts:GetCallerIdentity at configure
  skip_requesting_account_id  = true # no sts/iam account-id lookup
  skip_metadata_api_check     = true # never touch 169.254.169.254
  skip_region_validation      = true
  skip_get_ec2_platforms      = true # no ec2:DescribeAccountAttributes
  s3_force_path_style         = true

  endpoints {
    ec2            = var.endpoint
    ecr            = var.endpoint
    rds            = var.endpoint
    iam            = var.endpoint
    sts            = var.endpoint
    s3             = var.endpoint
    kms            = var.endpoint
    secretsmanager = var.endpoint
    cloudwatchlogs = var.endpoint
  }
}
