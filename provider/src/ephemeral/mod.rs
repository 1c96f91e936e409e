//! Ephemeral resources: values Terraform uses during one run and never
//! stores in state or plan files.

pub mod cluster_auth;
