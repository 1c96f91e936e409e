# terraform apply -invoke=action.onto_dr_failover.drill      (changes nothing)
# terraform apply -invoke=action.onto_dr_failover.failover   (promotes the DR database)
action "onto_dr_failover" "drill" {
  config {
    replica_id = "onto-prod-db" # onto_dr_region.dr.replica_id
    dr_region  = "eu-central-1"
    drill      = true
  }
}

action "onto_dr_failover" "failover" {
  config {
    replica_id = "onto-prod-db"
    dr_region  = "eu-central-1"
    timeout    = "30m"
  }
}
