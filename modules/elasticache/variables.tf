variable "environment" {
  description = "dev, staging or prod: selects node type, replicas and failover (see the environment profile table)."
  type        = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "name" {
  description = "Service name; the cache is <name>-<environment>."
  type        = string
  default     = "sessions"
}

variable "subnet_ids" {
  description = "Cache subnets (the network module's cache_subnet_ids)."
  type        = list(string)
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed on 6379 (the cluster's)."
  type        = list(string)
}

variable "engine" {
  description = "redis or valkey."
  type        = string
  default     = "redis"
}

variable "auth_token" {
  description = "AUTH token (16+ characters), sent write-only; null for none."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "auth_token_version" {
  description = "Bump to rotate auth_token."
  type        = number
  default     = 1
}

variable "tags" {
  description = "Tags."
  type        = map(string)
  default     = {}
}
