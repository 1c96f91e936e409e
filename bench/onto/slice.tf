# The network + registry + database slice in onto: what
# bench/hashicorp-aws/slice.tf builds from 31 hashicorp/aws resources.

resource "onto_network" "this" {
  name               = "onto-bench"
  cidr_block         = "10.9.0.0/16"
  availability_zones = ["us-east-1a", "us-east-1b"]
  nat_mode           = "single"
}

resource "onto_registry" "api" {
  name = "onto-bench/api"

  lifecycle_rule {
    description  = "keep the last 20 releases"
    tag_status   = "tagged"
    tag_prefixes = ["v"]
    keep_last    = 20
  }
  lifecycle_rule {
    description       = "drop untagged layers after a week"
    tag_status        = "untagged"
    expire_after_days = 7
  }
}

resource "onto_db" "db" {
  name                = "onto-bench-db"
  engine_version      = "16.4"
  subnet_ids          = onto_network.this.database_subnet_ids
  allowed_cidr_blocks = [onto_network.this.cidr_block]
}
