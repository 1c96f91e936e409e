terraform {
  required_providers {
    onto = { source = "onto-platform/onto" }
  }
}

variable "endpoint" {
  type = string
}

provider "onto" {
  region       = "us-east-1"
  endpoint_url = var.endpoint
  access_key   = "test"
  secret_key   = "test"
  environment  = "dev"
}
