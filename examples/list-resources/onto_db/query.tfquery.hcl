list "onto_db" "databases" {
  provider         = onto
  include_resource = true

  config {
    tags = { team = "data" }
  }
}
