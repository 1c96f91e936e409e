locals {
  retention = { dev = 7, staging = 30, prod = 90 }
}

resource "onto_telemetry" "this" {
  name               = "${var.name}-${var.environment}"
  oidc_provider_arn  = var.oidc_provider_arn
  cluster_name       = var.cluster_name
  log_retention_days = local.retention[var.environment]
  install_adot       = var.install_adot
  tags               = var.tags
}
