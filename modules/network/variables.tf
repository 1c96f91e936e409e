variable "environment" {
  description = "dev, staging or prod: selects NAT per AZ in prod (see the environment profile table)."
  type        = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "name" {
  description = "Service name; objects are named <name>-<environment>."
  type        = string
  default     = "onto"
}

variable "cidr_block" {
  description = "The VPC's IPv4 block, /16 to /24."
  type        = string
  default     = "10.20.0.0/16"
  validation {
    condition     = can(cidrhost(var.cidr_block, 0))
    error_message = "cidr_block must be an IPv4 CIDR block like 10.20.0.0/16."
  }
}

variable "availability_zones" {
  description = "Availability zones (at least two for the database's standby)."
  type        = list(string)
  validation {
    condition     = length(var.availability_zones) >= 2
    error_message = "Give at least two availability zones."
  }
}

variable "nat_mode" {
  description = "none, single or per_az; the environment profile decides when null (per_az in prod)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every object."
  type        = map(string)
  default     = {}
}
