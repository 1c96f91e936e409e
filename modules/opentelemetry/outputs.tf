output "remote_write_url" {
  description = "Prometheus remote-write URL."
  value       = onto_telemetry.this.remote_write_url
}

output "query_url" {
  description = "Prometheus query URL (Grafana data source)."
  value       = onto_telemetry.this.query_url
}

output "otlp_endpoint" {
  description = "OTLP/gRPC endpoint inside the cluster."
  value       = onto_telemetry.this.otlp_grpc_endpoint
}

output "role_arn" {
  description = "The collector's IAM role."
  value       = onto_telemetry.this.role_arn
}

output "log_group" {
  description = "CloudWatch log group."
  value       = onto_telemetry.this.log_group_name
}

output "collector_config" {
  description = "OpenTelemetry Collector configuration for this pipeline."
  value       = onto_telemetry.this.collector_config
}
