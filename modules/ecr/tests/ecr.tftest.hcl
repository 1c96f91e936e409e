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
    environment  = "dev"
    prefix       = "ecrtest"
    repositories = ["api", "web"]
  }

  assert {
    condition     = length(output.repository_urls) == 2 && endswith(output.repository_urls["api"], "/ecrtest/dev/api")
    error_message = "one repository per name under the prefix"
  }

  assert {
    condition     = onto_registry.this["api"].image_tag_mutability == "IMMUTABLE" && onto_registry.this["api"].scan_on_push
    error_message = "immutable tags and scanning by default"
  }
}
