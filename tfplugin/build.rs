//! Compiles the protocol definitions in `proto/` (shipped in the crate)
//! with a pure-Rust protobuf compiler, so building needs no system `protoc`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("proto");
    let files = [
        "tfplugin6.proto",
        "plugin/grpc_controller.proto",
        "plugin/grpc_stdio.proto",
        "plugin/grpc_broker.proto",
    ];
    for file in &files {
        println!("cargo:rerun-if-changed={}", root.join(file).display());
    }
    let descriptors = protox::compile(files, [&root])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .generate_default_stubs(true)
        .compile_fds(descriptors)?;
    Ok(())
}
