terraform {
  required_providers {
    onto = {
      source = "onto-platform/onto"
    }
  }
}

# One provider for every region: resources take an optional `region`.
provider "onto" {
  region      = "eu-west-1"
  environment = terraform.workspace # dev | staging | prod

  default_tags = {
    project = "ontology-editor"
  }
}
