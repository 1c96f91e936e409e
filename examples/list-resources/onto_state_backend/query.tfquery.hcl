list "onto_state_backend" "buckets" {
  provider = onto
  config {
    name_prefix = "onto-terraform-state"
  }
}
