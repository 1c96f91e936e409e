resource "onto_registry" "api" {
  name             = "onto/editor-api"
  pull_account_ids = ["111111111111"] # e.g. the DR account

  lifecycle_rule {
    description  = "keep the last 20 releases"
    tag_status   = "tagged"
    tag_prefixes = ["v"]
    keep_last    = 20
  }

  lifecycle_rule {
    description       = "drop untagged layers after a week"
    tag_status        = "untagged"
    expire_after_days = 7
  }

  tags = {
    team = "editor"
  }
}

output "api_repository_url" {
  value = onto_registry.api.repository_url
}
