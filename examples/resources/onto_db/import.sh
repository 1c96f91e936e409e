# By instance identifier, or REGION:IDENTIFIER for another region.
terraform import onto_db.editor editor-prod
