output "primary_endpoint" {
  description = "Reads and writes."
  value       = onto_cache.this.primary_endpoint
}

output "reader_endpoint" {
  description = "Reads spread over the replicas."
  value       = onto_cache.this.reader_endpoint
}

output "port" {
  description = "Port."
  value       = onto_cache.this.port
}

output "arn" {
  description = "Replication group ARN."
  value       = onto_cache.this.arn
}

output "settings" {
  description = "What the environment selected."
  value = {
    node_type          = onto_cache.this.node_type
    replicas           = onto_cache.this.replicas
    multi_az           = onto_cache.this.multi_az
    automatic_failover = onto_cache.this.automatic_failover
    transit_encryption = onto_cache.this.transit_encryption
  }
}
