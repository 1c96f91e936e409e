# Bootstrap: apply with local state, then hand `backend_config` to every
# other root module:
#
#   terraform output -json backend_config \
#     | jq -r 'to_entries[] | "\(.key) = \"\(.value)\""' > backend.hcl
#   terraform init -backend-config=backend.hcl
resource "onto_state_backend" "this" {
  bucket = "acme-onto-terraform-state"
}

output "backend_config" {
  value = onto_state_backend.this.backend_config
}
