# By name (in the provider's region), or REGION:NAME for another region.
terraform import onto_registry.api onto/editor-api
terraform import onto_registry.api eu-central-1:onto/editor-api
