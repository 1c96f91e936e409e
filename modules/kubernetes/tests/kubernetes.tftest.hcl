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

run "network" {
  module {
    source = "../network"
  }
  variables {
    environment        = "dev"
    name               = "k8stest"
    availability_zones = ["eu-west-1a", "eu-west-1b"]
    nat_mode           = "none"
  }
}

run "dev" {
  variables {
    environment = "dev"
    name        = "k8stest"
    subnet_ids  = run.network.private_subnet_ids
    addons      = {} # the emulator has no EKS add-ons
  }

  assert {
    condition     = length(output.node_group_names) == 2
    error_message = "core and workers"
  }

  assert {
    condition     = startswith(output.endpoint, "https://") && output.oidc_provider_arn != null
    error_message = "endpoint and OIDC provider"
  }

  assert {
    condition     = onto_cluster.this.node_groups["core"].instance_types[0] == "t3.large" && onto_cluster.this.node_groups["workers"].capacity_type == "SPOT"
    error_message = "dev sizing: small core, spot workers"
  }
}
