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

run "dev" {
  variables {
    environment        = "dev"
    name               = "nettest"
    availability_zones = ["eu-west-1a", "eu-west-1b"]
  }

  assert {
    condition     = length(output.private_subnet_ids) == 2 && length(output.database_subnet_ids) == 2 && length(output.cache_subnet_ids) == 2
    error_message = "one subnet per tier and AZ"
  }

  assert {
    condition     = length(output.nat_public_ips) == 1
    error_message = "dev has a single NAT gateway"
  }

  assert {
    condition     = onto_network.this.name == "nettest-dev"
    error_message = "names follow <service>-<environment>"
  }
}

run "bad_environment" {
  command = plan
  variables {
    environment        = "default"
    availability_zones = ["eu-west-1a", "eu-west-1b"]
  }
  expect_failures = [var.environment]
}
