output "endpoint" {
  description = "address:port."
  value       = onto_db.this.endpoint
}

output "address" {
  description = "DNS name."
  value       = onto_db.this.address
}

output "port" {
  description = "Port."
  value       = onto_db.this.port
}

output "arn" {
  description = "Instance ARN (for onto_dr_region)."
  value       = onto_db.this.arn
}

output "master_secret_arn" {
  description = "Secrets Manager secret with the master credentials."
  value       = onto_db.this.master_secret_arn
}

output "security_group_id" {
  description = "The database's security group."
  value       = onto_db.this.security_group_id
}

output "settings" {
  description = "What the environment selected."
  value = {
    instance_class        = onto_db.this.instance_class
    multi_az              = onto_db.this.multi_az
    deletion_protection   = onto_db.this.deletion_protection
    backup_retention_days = onto_db.this.backup_retention_days
  }
}
