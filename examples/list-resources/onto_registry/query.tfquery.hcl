list "onto_registry" "repositories" {
  provider = onto
  limit    = 500

  config {
    name_prefix = "onto/"
  }
}
