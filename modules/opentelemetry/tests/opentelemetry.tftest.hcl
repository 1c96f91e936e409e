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
    environment       = "dev"
    name              = "oteltest"
    cluster_name      = "oteltest-dev"
    oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
  }

  assert {
    condition     = endswith(output.remote_write_url, "/api/v1/remote_write")
    error_message = "remote-write URL"
  }

  assert {
    condition     = onto_telemetry.this.log_retention_days == 7 && output.log_group == "/onto/oteltest-dev"
    error_message = "dev keeps logs 7 days"
  }

  assert {
    condition     = output.otlp_endpoint == "http://adot-collector.opentelemetry.svc.cluster.local:4317"
    error_message = "OTLP endpoint"
  }
}
