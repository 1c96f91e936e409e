# The whole onto platform: network, Kubernetes, container registry,
# PostgreSQL, Redis and OpenTelemetry, one environment per workspace.
#
#   terraform init -backend-config=backend.aws.hcl        # once
#   terraform workspace select -or-create staging
#   terraform apply
#
# The workspace is the environment (dev, staging, prod): it selects sizing
# and protection through the modules and the provider's environment profile.
#
# Taking an environment down: dev destroys as is; staging and prod keep
# their database until its protection is lifted:
#   terraform apply   -var deletion_protection=false
#   terraform destroy -var deletion_protection=false

terraform {
  required_version = ">= 1.11"
  required_providers {
    onto = {
      source  = "onto-platform/onto"
      version = ">= 0.1.0"
    }
  }
  backend "s3" {}
}

provider "onto" {
  region       = var.region
  environment  = terraform.workspace
  endpoint_url = var.aws_endpoint_url
  default_tags = {
    project     = "onto"
    environment = terraform.workspace
  }
}

locals {
  environment = terraform.workspace
}

module "network" {
  source             = "../../modules/network"
  environment        = local.environment
  cidr_block         = var.cidr_block
  availability_zones = var.availability_zones
}

module "kubernetes" {
  source               = "../../modules/kubernetes"
  environment          = local.environment
  subnet_ids           = module.network.private_subnet_ids
  admin_principal_arns = var.admin_principal_arns
  addons               = var.cluster_addons
}

module "ecr" {
  source       = "../../modules/ecr"
  environment  = local.environment
  repositories = var.repositories
}

module "rds" {
  source                     = "../../modules/rds"
  environment                = local.environment
  subnet_ids                 = module.network.database_subnet_ids
  allowed_security_group_ids = compact([module.kubernetes.cluster_security_group_id])
  deletion_protection        = var.deletion_protection
}

module "elasticache" {
  source                     = "../../modules/elasticache"
  environment                = local.environment
  subnet_ids                 = module.network.cache_subnet_ids
  allowed_security_group_ids = compact([module.kubernetes.cluster_security_group_id])
}

module "opentelemetry" {
  source            = "../../modules/opentelemetry"
  environment       = local.environment
  cluster_name      = module.kubernetes.name
  oidc_provider_arn = module.kubernetes.oidc_provider_arn
}
