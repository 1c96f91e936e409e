list "onto_dr_region" "dr" {
  provider = onto
  config {
    region = "eu-central-1" # the DR region
  }
}
