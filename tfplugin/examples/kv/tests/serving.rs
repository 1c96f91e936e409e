//! go-plugin parity of the provider binary, checked from the outside with
//! our own gRPC client: cookie, handshake line, pinned client certificate,
//! health, shutdown and signals.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

struct ClientCert {
    pem: String,
    der: Vec<u8>,
    key: Vec<u8>,
}

/// A client certificate like Terraform's (Terraform uses ECDSA P-521).
fn client_cert() -> ClientCert {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    ClientCert {
        pem: cert.pem(),
        der: cert.der().to_vec(),
        key: key.serialize_der(),
    }
}

struct Plugin {
    child: Child,
    network: String,
    addr: String,
    server_cert: Vec<u8>,
    _dir: tempfile::TempDir,
}

fn start(client: &ClientCert, socket_dir: Option<&str>) -> Plugin {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_terraform-provider-kv"));
    cmd.env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "20000")
        .env("PLUGIN_MAX_PORT", "20100")
        .env("PLUGIN_CLIENT_CERT", &client.pem)
        .env(
            "PLUGIN_UNIX_SOCKET_DIR",
            socket_dir.map_or_else(|| dir.path().to_path_buf(), Into::into),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let parts: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(parts.len(), 6, "handshake line: {line:?}");
    assert_eq!(&parts[..2], ["1", "6"]);
    assert_eq!(parts[4], "grpc");
    assert!(
        !parts[5].ends_with('='),
        "certificate must be unpadded base64"
    );
    let server_cert = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(parts[5])
        .unwrap();
    Plugin {
        child,
        network: parts[2].into(),
        addr: parts[3].into(),
        server_cert,
        _dir: dir,
    }
}

/// Trusts exactly the certificate from the handshake line, as go-plugin does.
#[derive(Debug)]
struct PinnedServer(Vec<u8>);

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.0.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "unexpected server certificate".into(),
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(m, c, d, &algs)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(m, c, d, &algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::aws_lc_rs::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

async fn connect(
    p: &Plugin,
    cert: Option<&ClientCert>,
) -> Result<Channel, tonic::transport::Error> {
    let builder = ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .dangerous()
    .with_custom_certificate_verifier(Arc::new(PinnedServer(p.server_cert.clone())));
    let mut config = match cert {
        Some(c) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from(c.der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(c.key.clone())),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let (network, addr) = (p.network.clone(), p.addr.clone());
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let (connector, network, addr) = (connector.clone(), network.clone(), addr.clone());
            async move {
                let name = ServerName::try_from("localhost").unwrap();
                let tls = if network == "unix" {
                    let s = tokio::net::UnixStream::connect(addr).await?;
                    tokio_rustls::TlsStream::from(
                        connector.connect(name, Box::new(s) as Box<dyn Io>).await?,
                    )
                } else {
                    let s = tokio::net::TcpStream::connect(addr).await?;
                    tokio_rustls::TlsStream::from(
                        connector.connect(name, Box::new(s) as Box<dyn Io>).await?,
                    )
                };
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
            }
        }))
        .await
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

async fn health(ch: Channel) -> Result<i32, tonic::Status> {
    let mut client = HealthClient::new(ch);
    let resp = tokio::time::timeout(
        Duration::from_secs(5),
        client.check(HealthCheckRequest {
            service: "plugin".into(),
        }),
    )
    .await
    .map_err(|_| tonic::Status::deadline_exceeded("no answer"))??;
    Ok(resp.into_inner().status)
}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[test]
fn refuses_to_run_without_the_cookie() {
    let out = Command::new(env!("CARGO_BIN_EXE_terraform-provider-kv"))
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("This binary is a plugin"));
    assert!(out.stdout.is_empty(), "no handshake without the cookie");
}

#[test]
fn refuses_a_protocol_it_does_not_speak() {
    let out = Command::new(env!("CARGO_BIN_EXE_terraform-provider-kv"))
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("protocol 6"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_pinned_client_certificate_gets_grpc() {
    let terraform = client_cert();
    let stranger = client_cert();
    let mut p = start(&terraform, None);
    assert_eq!(p.network, "unix");

    let ok = connect(&p, Some(&terraform))
        .await
        .expect("pinned client connects");
    assert_eq!(
        health(ok.clone()).await.unwrap(),
        ServingStatus::Serving as i32
    );

    for (who, cert) in [
        ("another certificate", Some(&stranger)),
        ("no certificate", None),
    ] {
        let denied = match connect(&p, cert).await {
            Err(_) => true,
            Ok(ch) => health(ch).await.is_err(),
        };
        assert!(denied, "a client with {who} reached gRPC");
    }

    // SIGINT is ignored: Terraform stops work with StopProvider instead.
    // SAFETY: signalling our own child.
    unsafe { kill(i32::try_from(p.child.id()).unwrap(), 2) };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        p.child.try_wait().unwrap().is_none(),
        "SIGINT killed the plugin"
    );
    assert_eq!(
        health(ok.clone()).await.unwrap(),
        ServingStatus::Serving as i32
    );

    // GRPCController.Shutdown ends the process promptly and cleanly.
    let mut controller = tonic::client::Grpc::new(ok);
    controller.ready().await.unwrap();
    let path =
        tonic::codegen::http::uri::PathAndQuery::from_static("/plugin.GRPCController/Shutdown");
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    let _ = controller.unary(tonic::Request::new(()), path, codec).await;
    let status = wait_exit(&mut p.child, Duration::from_secs(2))
        .expect("plugin still running 2 s after Shutdown");
    assert!(status.success());
    assert!(
        !std::path::Path::new(&p.addr).exists(),
        "socket file left behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn falls_back_to_tcp_in_the_port_range_and_exits_on_sigterm() {
    let terraform = client_cert();
    let mut p = start(&terraform, Some("/nonexistent/socket/dir"));
    assert_eq!(p.network, "tcp");
    let port: u16 = p.addr.rsplit(':').next().unwrap().parse().unwrap();
    assert!(
        p.addr.starts_with("127.0.0.1:") && (20000..=20100).contains(&port),
        "{}",
        p.addr
    );
    let ch = connect(&p, Some(&terraform)).await.unwrap();
    assert_eq!(health(ch).await.unwrap(), ServingStatus::Serving as i32);
    // SAFETY: signalling our own child.
    unsafe { kill(i32::try_from(p.child.id()).unwrap(), 15) };
    let status =
        wait_exit(&mut p.child, Duration::from_secs(2)).expect("SIGTERM did not stop the plugin");
    assert!(status.success());
}

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}
