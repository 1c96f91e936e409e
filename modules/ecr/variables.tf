variable "environment" {
  description = "dev, staging or prod (prod refuses force_delete)."
  type        = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "prefix" {
  description = "Repository name prefix; repositories are <prefix>/<environment>/<name>, so environments live side by side in one account."
  type        = string
  default     = "onto"
}

variable "repositories" {
  description = "Repository names under <prefix>/<environment>/."
  type        = set(string)
  default     = ["editor-api", "editor-web", "reasoner"]
}

variable "keep_tagged" {
  description = "Release images (tags starting with v) kept per repository."
  type        = number
  default     = 30
}

variable "pull_account_ids" {
  description = "Other accounts allowed to pull."
  type        = set(string)
  default     = null
}

variable "tags" {
  description = "Tags."
  type        = map(string)
  default     = {}
}
