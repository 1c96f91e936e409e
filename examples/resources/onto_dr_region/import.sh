# NAME,DR_REGION[,STATE_BUCKET]
terraform import onto_dr_region.dr onto-prod,eu-central-1,acme-onto-terraform-state
