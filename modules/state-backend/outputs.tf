output "backend_config" {
  description = "Settings for backend \"s3\" (write them to backend.hcl)."
  value       = onto_state_backend.this.backend_config
}

output "bucket" {
  description = "State bucket."
  value       = onto_state_backend.this.bucket
}

output "lock_table" {
  description = "Lock table."
  value       = onto_state_backend.this.lock_table
}
