variable "bucket" {
  description = "State bucket name (globally unique)."
  type        = string
}

variable "lock_table" {
  description = "DynamoDB lock table name; null for S3 lockfiles only (use_lockfile)."
  type        = string
  default     = null
}

variable "tls_only" {
  description = "Refuse plain HTTP. Only an emulator reached over http:// needs false."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags."
  type        = map(string)
  default     = {}
}
