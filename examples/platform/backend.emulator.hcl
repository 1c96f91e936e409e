# The local emulator (make demo). The endpoint is added on the command line:
#   -backend-config='endpoints={s3="http://127.0.0.1:PORT",dynamodb="http://127.0.0.1:PORT"}'
bucket                      = "onto-demo-terraform-state"
key                         = "platform.tfstate"
region                      = "eu-west-1"
dynamodb_table              = "onto-demo-terraform-locks"
encrypt                     = true
access_key                  = "test"
secret_key                  = "test"
use_path_style              = true
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
skip_region_validation      = true
