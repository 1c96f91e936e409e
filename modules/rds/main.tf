# Sizing, multi-AZ, backups, deletion protection and final snapshots come
# from the environment profile; the master password lives in Secrets Manager.
# `deletion_protection = false` lifts the protection (in prod too, which the
# plan then says): the step before destroying an environment.
resource "onto_db" "this" {
  name                       = "${var.name}-${var.environment}"
  environment                = var.environment
  engine_version             = var.engine_version
  subnet_ids                 = var.subnet_ids
  allowed_security_group_ids = var.allowed_security_group_ids
  parameters                 = var.parameters
  database_name              = replace(var.name, "-", "_")
  deletion_protection        = var.deletion_protection
  prod_overrides             = var.deletion_protection == false ? ["deletion_protection"] : null
  tags                       = var.tags
}
