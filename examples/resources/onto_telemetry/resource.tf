resource "onto_telemetry" "main" {
  name              = "onto-${terraform.workspace}"
  oidc_provider_arn = var.oidc_provider_arn # onto_cluster.main.oidc_provider_arn
  cluster_name      = "onto-${terraform.workspace}"

  log_retention_days = 30
  install_adot       = true # needs cert-manager in the cluster
}

variable "oidc_provider_arn" {
  type = string
}

output "prometheus_remote_write_url" {
  value = onto_telemetry.main.remote_write_url
}

output "otlp_endpoint" {
  value = onto_telemetry.main.otlp_grpc_endpoint
}
