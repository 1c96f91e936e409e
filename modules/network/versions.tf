terraform {
  required_version = ">= 1.11"
  required_providers {
    onto = {
      source  = "onto-platform/onto"
      version = ">= 0.1.0"
    }
  }
}
