data "onto_caller_identity" "current" {}

output "account_id" {
  value = data.onto_caller_identity.current.account_id
}
