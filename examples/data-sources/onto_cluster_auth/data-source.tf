# Before Terraform 1.10 only: this stores the (15-minute) token in state.
# Prefer the ephemeral resource of the same name.
data "onto_cluster_auth" "main" {
  cluster_name = "onto-prod"
}

# provider "kubernetes" {
#   host                   = data.onto_cluster_auth.main.endpoint
#   cluster_ca_certificate = base64decode(data.onto_cluster_auth.main.certificate_authority_data)
#   token                  = data.onto_cluster_auth.main.token
# }
