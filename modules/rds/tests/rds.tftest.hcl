# The emulator's URL, from the test runner (scripts/module-tests.sh):
#   terraform test -var endpoint_url=http://127.0.0.1:PORT
variable "endpoint_url" {
  type = string
}

provider "onto" {
  region       = "eu-west-1"
  endpoint_url = var.endpoint_url
  access_key   = "test"
  secret_key   = "test"
}

run "network" {
  module {
    source = "../network"
  }
  variables {
    environment        = "dev"
    name               = "rdstest"
    availability_zones = ["eu-west-1a", "eu-west-1b"]
    nat_mode           = "none"
  }
}

run "dev" {
  variables {
    environment                = "dev"
    subnet_ids                 = run.network.database_subnet_ids
    allowed_security_group_ids = []
  }

  assert {
    condition     = output.settings.instance_class == "db.t4g.micro" && output.settings.multi_az == false
    error_message = "dev is small and single-AZ"
  }

  assert {
    condition     = endswith(output.endpoint, ":5432")
    error_message = "PostgreSQL on 5432"
  }

  assert {
    condition     = startswith(output.master_secret_arn, "arn:aws:secretsmanager:")
    error_message = "the master password lives in Secrets Manager"
  }
}

run "prod_plan" {
  command = plan
  variables {
    environment                = "prod"
    subnet_ids                 = run.network.database_subnet_ids
    allowed_security_group_ids = []
  }

  assert {
    condition     = onto_db.this.multi_az && onto_db.this.deletion_protection && onto_db.this.backup_retention_days >= 7
    error_message = "prod is multi-AZ, protected and keeps backups"
  }
}
