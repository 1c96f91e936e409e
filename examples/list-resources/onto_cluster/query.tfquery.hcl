list "onto_cluster" "clusters" {
  provider = onto
  config {
    region = "eu-west-1"
  }
}
