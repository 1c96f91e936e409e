# Bootstrap: apply once with local state, then every root module uses the
# backend_config output (see README.md).
resource "onto_state_backend" "this" {
  bucket     = var.bucket
  lock_table = var.lock_table
  tls_only   = var.tls_only
  tags       = var.tags
}
