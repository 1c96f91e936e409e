variable "environment" {
  description = "dev, staging or prod: selects size and protection (see the environment profile table)."
  type        = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "name" {
  description = "Service name; the instance is <name>-<environment>."
  type        = string
  default     = "editor"
}

variable "subnet_ids" {
  description = "Database subnets (the network module's database_subnet_ids)."
  type        = list(string)
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed on 5432 (the cluster's)."
  type        = list(string)
}

variable "engine_version" {
  description = "PostgreSQL version."
  type        = string
  default     = "16"
}

variable "parameters" {
  description = "PostgreSQL parameters."
  type        = map(string)
  default     = null
}

variable "deletion_protection" {
  description = "Refuse to delete the database. Default from the environment profile (on in staging and prod); set false before destroying the environment."
  type        = bool
  default     = null
}

variable "tags" {
  description = "Tags."
  type        = map(string)
  default     = {}
}
