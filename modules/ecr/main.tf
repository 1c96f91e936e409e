resource "onto_registry" "this" {
  for_each = var.repositories

  name             = "${var.prefix}/${var.environment}/${each.key}"
  pull_account_ids = var.pull_account_ids
  force_delete     = var.environment != "prod"
  tags             = var.tags

  lifecycle_rule {
    description  = "Keep release images"
    tag_status   = "tagged"
    tag_prefixes = ["v"]
    keep_last    = var.keep_tagged
  }

  lifecycle_rule {
    description       = "Expire untagged layers"
    tag_status        = "untagged"
    expire_after_days = var.environment == "prod" ? 14 : 3
  }
}
