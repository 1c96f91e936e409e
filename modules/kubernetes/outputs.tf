output "name" {
  description = "Cluster name."
  value       = onto_cluster.this.name
}

output "endpoint" {
  description = "API server URL."
  value       = onto_cluster.this.endpoint
}

output "certificate_authority_data" {
  description = "Base64 PEM of the cluster CA."
  value       = onto_cluster.this.certificate_authority_data
}

output "oidc_issuer" {
  description = "OIDC issuer URL."
  value       = onto_cluster.this.oidc_issuer
}

output "oidc_provider_arn" {
  description = "IAM OIDC provider ARN (IRSA)."
  value       = onto_cluster.this.oidc_provider_arn
}

output "cluster_security_group_id" {
  description = "Security group of the control plane and nodes: the source the database and cache allow."
  value       = onto_cluster.this.cluster_security_group_id
}

output "node_role_arn" {
  description = "IAM role of the nodes."
  value       = onto_cluster.this.node_role_arn
}

output "node_group_names" {
  description = "EKS names of the node groups."
  value       = onto_cluster.this.node_group_names
}
