# terraform init -backend-config=backend.aws.hcl
# Values from the state-backend module's backend_config output.
bucket         = "acme-onto-terraform-state"
key            = "platform.tfstate"
region         = "eu-west-1"
dynamodb_table = "acme-onto-terraform-locks"
encrypt        = true
# Terraform 1.10+: S3 lockfiles; keep dynamodb_table during a migration.
# use_lockfile = true
