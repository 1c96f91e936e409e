variable "region" {
  description = "AWS region of the platform."
  type        = string
  default     = "eu-west-1"
}

variable "availability_zones" {
  description = "Availability zones to spread over."
  type        = list(string)
  default     = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}

variable "cidr_block" {
  description = "The VPC block."
  type        = string
  default     = "10.20.0.0/16"
}

variable "repositories" {
  description = "Container repositories (under onto/<environment>/)."
  type        = set(string)
  default     = ["editor-api", "editor-web", "reasoner"]
}

variable "admin_principal_arns" {
  description = "IAM principals given cluster-admin."
  type        = list(string)
  default     = null
}

variable "cluster_addons" {
  description = "EKS add-ons; null for the defaults (vpc-cni, kube-proxy, coredns, eks-pod-identity-agent)."
  type = map(object({
    version       = optional(string)
    configuration = optional(string)
  }))
  default = null
}

variable "aws_endpoint_url" {
  description = "One endpoint for every AWS service (the local emulator); null for AWS."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "The database's deletion protection; default from the environment profile. Set false and apply before `terraform destroy` of staging or prod."
  type        = bool
  default     = null
}
