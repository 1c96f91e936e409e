# Bootstrap the state backend with local state, once per account:
#   terraform init && terraform apply
#   terraform output -json backend_config   # -> ../backend.aws.hcl

terraform {
  required_version = ">= 1.11"
  required_providers {
    onto = { source = "onto-platform/onto" }
  }
}

variable "bucket" {
  type    = string
  default = "acme-onto-terraform-state"
}

variable "lock_table" {
  type    = string
  default = "acme-onto-terraform-locks"
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "aws_endpoint_url" {
  description = "The local emulator; null for AWS."
  type        = string
  default     = null
}

provider "onto" {
  region       = var.region
  environment  = "prod" # the state of every environment lives here
  endpoint_url = var.aws_endpoint_url
}

module "state_backend" {
  source     = "../../../modules/state-backend"
  bucket     = var.bucket
  lock_table = var.lock_table
  tls_only   = var.aws_endpoint_url == null
}

output "backend_config" {
  value = module.state_backend.backend_config
}
