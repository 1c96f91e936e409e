list "onto_telemetry" "workspaces" {
  provider = onto
  config {
    tags = { team = "platform" }
  }
}
