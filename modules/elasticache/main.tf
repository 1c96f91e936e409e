resource "onto_cache" "this" {
  name                       = "${var.name}-${var.environment}"
  environment                = var.environment
  engine                     = var.engine
  subnet_ids                 = var.subnet_ids
  allowed_security_group_ids = var.allowed_security_group_ids
  auth_token_wo              = var.auth_token
  auth_token_wo_version      = var.auth_token_version
  tags                       = var.tags
}
