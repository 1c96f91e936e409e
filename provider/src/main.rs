//! `terraform-provider-onto`: serves the provider to Terraform.

fn main() -> std::process::ExitCode {
    tfplugin::serve::serve(
        terraform_provider_onto::provider(),
        tfplugin::serve::Options::new(terraform_provider_onto::ADDRESS),
    )
}
