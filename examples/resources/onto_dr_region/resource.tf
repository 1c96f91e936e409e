# The primary lives in the provider's region; the DR copies in dr_region.
resource "onto_dr_region" "dr" {
  name      = "onto-${terraform.workspace}"
  dr_region = "eu-central-1"

  repository_prefixes = ["onto/"] # ECR images replicate there

  db_arn        = var.primary_db_arn # onto_db.editor.arn
  db_mode       = "replica"          # or "backups" (cheaper, slower RTO)
  dr_kms_key    = var.dr_kms_key     # a key in eu-central-1
  dr_subnet_ids = var.dr_database_subnet_ids

  state_bucket     = "acme-onto-terraform-state"
  state_lock_table = "acme-onto-terraform-locks"

  rto_target = "15m" # the plan fails when the setup cannot meet these
  rpo_target = "1h"
}

variable "primary_db_arn" {
  type = string
}

variable "dr_kms_key" {
  type = string
}

variable "dr_database_subnet_ids" {
  type = list(string)
}

output "recovery_objectives" {
  value = {
    rpo = onto_dr_region.dr.rpo_estimate
    rto = onto_dr_region.dr.rto_estimate
    met = onto_dr_region.dr.objectives_met
  }
}
