resource "onto_network" "core" {
  name               = "onto-${terraform.workspace}"
  cidr_block         = "10.20.0.0/16"
  availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  cache_subnets      = true
}

resource "onto_cache" "sessions" {
  name       = "sessions-${terraform.workspace}"
  engine     = "valkey"
  subnet_ids = onto_network.core.cache_subnet_ids

  # Only the application's security group reaches port 6379.
  allowed_security_group_ids = [var.app_security_group_id]

  # Write-only: sent to AWS, never stored. Bump the version to rotate.
  auth_token_wo         = var.cache_auth_token
  auth_token_wo_version = 1

  # Node type, replicas, multi-AZ, failover and snapshot retention come
  # from the environment profile.
}

variable "app_security_group_id" {
  type = string
}

variable "cache_auth_token" {
  type      = string
  sensitive = true
  ephemeral = true
}

output "cache_endpoint" {
  value = onto_cache.sessions.primary_endpoint
}
