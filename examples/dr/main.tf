# A primary environment in one region and its disaster-recovery region in
# another, from one provider (every onto resource takes `region`).
#
#   terraform apply                                   # both regions
#   terraform apply -invoke=action.onto_dr_failover.drill     # readiness check
#   terraform apply -invoke=action.onto_dr_failover.failover  # promote the DR database
#
# See docs/actions/dr_failover.md for the runbook (failover and fail-back).

terraform {
  required_version = ">= 1.14"
  required_providers {
    onto = { source = "onto-platform/onto" }
  }
}

provider "onto" {
  region       = var.primary_region
  environment  = var.environment
  endpoint_url = var.aws_endpoint_url
}

# ---- primary -------------------------------------------------------------

resource "onto_state_backend" "state" {
  bucket     = "${var.name}-terraform-state"
  lock_table = "${var.name}-terraform-locks"
  tls_only   = var.aws_endpoint_url == null
}

resource "onto_registry" "api" {
  name = "${var.name}/editor-api"
}

resource "onto_network" "primary" {
  name               = "${var.name}-primary"
  cidr_block         = "10.30.0.0/16"
  availability_zones = ["${var.primary_region}a", "${var.primary_region}b"]
  nat_mode           = "none"
  prod_overrides     = ["nat_mode"]
}

resource "onto_db" "editor" {
  name                = "${var.name}-editor"
  subnet_ids          = onto_network.primary.database_subnet_ids
  allowed_cidr_blocks = [onto_network.primary.subnet_cidrs["private-${var.primary_region}a"]]
}

# ---- DR region ------------------------------------------------------------

resource "onto_network" "dr" {
  name               = "${var.name}-dr"
  region             = var.dr_region
  cidr_block         = "10.31.0.0/16"
  availability_zones = ["${var.dr_region}a", "${var.dr_region}b"]
  nat_mode           = "none"
  prod_overrides     = ["nat_mode"]
}

resource "onto_dr_region" "dr" {
  name      = var.name
  dr_region = var.dr_region

  repository_prefixes = ["${var.name}/"]

  db_arn                 = onto_db.editor.arn
  dr_kms_key             = var.dr_kms_key
  dr_subnet_ids          = onto_network.dr.database_subnet_ids
  dr_allowed_cidr_blocks = ["10.31.0.0/16"]

  state_bucket     = onto_state_backend.state.bucket
  state_lock_table = onto_state_backend.state.lock_table
  force_destroy    = var.environment != "prod"

  rto_target = "15m"
  rpo_target = "1h"
}

action "onto_dr_failover" "drill" {
  config {
    replica_id = onto_dr_region.dr.replica_id
    dr_region  = onto_dr_region.dr.dr_region
    drill      = true
  }
}

action "onto_dr_failover" "failover" {
  config {
    replica_id = onto_dr_region.dr.replica_id
    dr_region  = onto_dr_region.dr.dr_region
  }
}
