//! Actions (Terraform 1.14+), invoked with `terraform apply -invoke=action.TYPE.NAME`.

pub mod dr_failover;
