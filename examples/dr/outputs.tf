output "rpo_estimate" {
  value = onto_dr_region.dr.rpo_estimate
}

output "rto_estimate" {
  value = onto_dr_region.dr.rto_estimate
}

output "objectives_met" {
  value = onto_dr_region.dr.objectives_met
}

output "primary_endpoint" {
  value = onto_db.editor.endpoint
}

output "dr_endpoint" {
  description = "Where clients go after a failover."
  value       = onto_dr_region.dr.replica_endpoint
}

output "dr_state_bucket" {
  value = onto_dr_region.dr.dr_bucket
}
