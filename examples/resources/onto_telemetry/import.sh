# By name (the Prometheus workspace alias).
terraform import onto_telemetry.main onto-prod
