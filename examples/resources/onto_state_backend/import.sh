# By bucket name (in the provider's region), or REGION:BUCKET.
terraform import onto_state_backend.this acme-onto-terraform-state
