variable "name" {
  description = "Prefix of every object."
  type        = string
  default     = "onto"
}

variable "environment" {
  description = "dev, staging or prod."
  type        = string
  default     = "dev"
}

variable "primary_region" {
  type    = string
  default = "eu-west-1"
}

variable "dr_region" {
  type    = string
  default = "eu-central-1"
}

variable "dr_kms_key" {
  description = "KMS key ARN in the DR region for the replica."
  type        = string
}

variable "aws_endpoint_url" {
  description = "One endpoint for every AWS service (a local emulator); null for AWS."
  type        = string
  default     = null
}
