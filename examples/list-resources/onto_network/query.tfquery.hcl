list "onto_network" "vpcs" {
  provider = onto
  config {
    environment = "dev"
  }
}
