resource "onto_network" "core" {
  name               = "onto-${terraform.workspace}"
  cidr_block         = "10.20.0.0/16"
  availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  cache_subnets      = true
  # nat_mode defaults to "per_az" in prod and "single" elsewhere.
}

output "private_subnet_ids" {
  value = onto_network.core.private_subnet_ids
}
