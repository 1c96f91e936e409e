resource "onto_network" "core" {
  name               = "onto-${terraform.workspace}"
  cidr_block         = "10.20.0.0/16"
  availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}

resource "onto_db" "editor" {
  name           = "editor-${terraform.workspace}"
  engine_version = "16.4"
  subnet_ids     = onto_network.core.database_subnet_ids

  # Only the application's security group reaches PostgreSQL.
  allowed_security_group_ids = [var.app_security_group_id]

  max_allocated_storage = 200
  parameters = {
    log_min_duration_statement = "500"
  }

  # Sizing, multi-AZ, backups, deletion protection and final snapshots come
  # from the environment profile. The master password lives in Secrets
  # Manager (master_secret_arn); set password_wo to manage it yourself.
}

variable "app_security_group_id" {
  type = string
}

output "database_endpoint" {
  value = onto_db.editor.endpoint
}

output "database_secret_arn" {
  value = onto_db.editor.master_secret_arn
}
