list "onto_cache" "caches" {
  provider = onto
  config {
    name_prefix = "editor"
    environment = "prod"
  }
}
