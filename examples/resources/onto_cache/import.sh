# By replication group id, or REGION:ID for another region.
terraform import onto_cache.sessions sessions-prod
