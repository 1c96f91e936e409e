variable "environment" {
  description = "dev, staging or prod: selects node group sizes (see the table in README.md)."
  type        = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "name" {
  description = "Service name; the cluster is <name>-<environment>."
  type        = string
  default     = "onto"
}

variable "subnet_ids" {
  description = "Private subnets (the network module's private_subnet_ids)."
  type        = list(string)
}

variable "kubernetes_version" {
  description = "Kubernetes version; raising it upgrades control plane, add-ons, then nodes."
  type        = string
  default     = "1.33"
}

variable "admin_principal_arns" {
  description = "IAM principals given cluster-admin."
  type        = list(string)
  default     = null
}

variable "public_access_cidrs" {
  description = "Who may reach the public API endpoint."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "addons" {
  description = "EKS add-ons by name; null installs vpc-cni, kube-proxy, coredns and eks-pod-identity-agent at AWS's default versions."
  type = map(object({
    version       = optional(string)
    configuration = optional(string)
  }))
  default = null
}

variable "node_groups" {
  description = "Overrides the environment's node groups (same shape as onto_cluster.node_groups)."
  type        = any
  default     = null
}

variable "tags" {
  description = "Tags."
  type        = map(string)
  default     = {}
}
