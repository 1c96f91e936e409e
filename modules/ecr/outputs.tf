output "repository_urls" {
  description = "Push/pull URL per repository."
  value       = { for k, r in onto_registry.this : k => r.repository_url }
}

output "repository_arns" {
  description = "ARN per repository."
  value       = { for k, r in onto_registry.this : k => r.arn }
}

output "replication_prefix" {
  description = "The prefix to replicate to a DR region (onto_dr_region.repository_prefixes)."
  value       = "${var.prefix}/${var.environment}/"
}
