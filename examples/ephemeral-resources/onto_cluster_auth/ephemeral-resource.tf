# Terraform 1.10+: the token is never stored in state or plan files.
ephemeral "onto_cluster_auth" "main" {
  cluster_name = "onto-prod"
}

# Configure the kubernetes and helm providers with it:
#
# provider "kubernetes" {
#   host                   = ephemeral.onto_cluster_auth.main.endpoint
#   cluster_ca_certificate = base64decode(ephemeral.onto_cluster_auth.main.certificate_authority_data)
#   token                  = ephemeral.onto_cluster_auth.main.token
# }
