# The emulator's URL, from the test runner (scripts/module-tests.sh):
#   terraform test -var endpoint_url=http://127.0.0.1:PORT
variable "endpoint_url" {
  type = string
}

provider "onto" {
  region       = "eu-west-1"
  endpoint_url = var.endpoint_url
  access_key   = "test"
  secret_key   = "test"
}

# Plans only: the emulator keeps a deleted replication group "deleting"
# forever, so a cache applied here could never be cleaned up. The
# provider's own tests apply onto_cache on the emulator.

run "dev" {
  command = plan
  variables {
    environment                = "dev"
    subnet_ids                 = ["subnet-1", "subnet-2"]
    allowed_security_group_ids = ["sg-1"]
  }

  assert {
    condition     = onto_cache.this.node_type == "cache.t4g.micro" && onto_cache.this.replicas == 0
    error_message = "dev is one small node"
  }

  assert {
    condition     = onto_cache.this.at_rest_encryption && onto_cache.this.transit_encryption
    error_message = "encrypted by default"
  }
}

run "prod" {
  command = plan
  variables {
    environment                = "prod"
    subnet_ids                 = ["subnet-1", "subnet-2"]
    allowed_security_group_ids = ["sg-1"]
  }

  assert {
    condition     = onto_cache.this.replicas == 2 && onto_cache.this.multi_az && onto_cache.this.automatic_failover
    error_message = "prod has replicas with failover"
  }

  assert {
    condition     = onto_cache.this.name == "sessions-prod"
    error_message = "names follow <service>-<environment>"
  }
}
