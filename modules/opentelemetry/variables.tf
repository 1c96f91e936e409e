variable "environment" {
  description = "dev, staging or prod: selects log retention (7, 30, 90 days)."
  type        = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "name" {
  description = "Service name; objects are <name>-<environment>."
  type        = string
  default     = "onto"
}

variable "cluster_name" {
  description = "The EKS cluster (kubernetes module's name)."
  type        = string
}

variable "oidc_provider_arn" {
  description = "The cluster's OIDC provider (kubernetes module's oidc_provider_arn)."
  type        = string
}

variable "install_adot" {
  description = "Install the ADOT add-on running the collector pipeline (needs cert-manager)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags."
  type        = map(string)
  default     = {}
}
