resource "onto_network" "this" {
  name               = "${var.name}-${var.environment}"
  environment        = var.environment
  cidr_block         = var.cidr_block
  availability_zones = var.availability_zones
  cache_subnets      = true
  nat_mode           = var.nat_mode
  prod_overrides     = var.nat_mode != null && var.nat_mode != "per_az" ? ["nat_mode"] : null
  tags               = var.tags
}
