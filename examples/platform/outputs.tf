output "summary" {
  description = "Where everything is."
  value = {
    environment      = terraform.workspace
    cluster_endpoint = module.kubernetes.endpoint
    registry_urls    = module.ecr.repository_urls
    db_endpoint      = module.rds.endpoint
    db_secret_arn    = module.rds.master_secret_arn
    cache_endpoint   = module.elasticache.primary_endpoint
    telemetry = {
      remote_write_url = module.opentelemetry.remote_write_url
      otlp_endpoint    = module.opentelemetry.otlp_endpoint
    }
  }
}
