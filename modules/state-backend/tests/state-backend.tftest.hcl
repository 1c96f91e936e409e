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

run "bootstrap" {
  variables {
    bucket     = "sbtest-terraform-state"
    lock_table = "sbtest-terraform-locks"
    tls_only   = false # the emulator is reached over plain HTTP
  }

  assert {
    condition     = output.backend_config.bucket == "sbtest-terraform-state" && output.backend_config.dynamodb_table == "sbtest-terraform-locks"
    error_message = "backend_config names the bucket and lock table"
  }

  assert {
    condition     = onto_state_backend.this.versioning && onto_state_backend.this.public_access_blocked
    error_message = "versioned and private"
  }
}
