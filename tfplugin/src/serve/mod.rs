//! Serving a provider the way go-plugin does: magic cookie, protocol
//! negotiation, a Unix socket (TCP on loopback as the fallback), AutoMTLS
//! with the client certificate pinned, the handshake line on stdout, and
//! go-plugin's health, controller, stdio and broker services beside the
//! provider service.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # fn provider() -> Arc<dyn tfplugin::provider::Provider> { unimplemented!() }
//! fn main() -> std::process::ExitCode {
//!     tfplugin::serve::serve(provider(), tfplugin::serve::Options::new("registry.terraform.io/acme/example"))
//! }
//! ```

mod plugin;
pub mod tls;

use std::io::Write;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;

use crate::provider::Provider;
use crate::server::ProviderService;

/// The cookie Terraform sets so a provider binary is not run by hand.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// The go-plugin core protocol version and our app protocol version.
const CORE_PROTOCOL: u32 = 1;
const PROTOCOL_VERSION: u32 = 6;

/// How long in-flight requests may take to finish once shutdown begins.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// How to serve.
#[derive(Clone, Debug)]
pub struct Options {
    /// The provider's source address, used in `--debug` reattach output.
    pub address: String,
    /// Log module name (`@module` in hclog lines).
    pub module: String,
}

impl Options {
    pub fn new(address: impl Into<String>) -> Self {
        let address = address.into();
        let module = format!(
            "provider.{}",
            address.rsplit('/').next().unwrap_or("provider")
        );
        Options { address, module }
    }
}

/// Serves `provider` until Terraform shuts it down. Call from `main`.
pub fn serve(provider: Arc<dyn Provider>, options: Options) -> ExitCode {
    let debug = std::env::args()
        .skip(1)
        .any(|a| a == "--debug" || a == "-debug");
    if !debug && std::env::var(MAGIC_COOKIE_KEY).as_deref() != Ok(MAGIC_COOKIE_VALUE) {
        eprintln!(
            "This binary is a plugin. These are not meant to be executed directly.\n\
             Please execute the program that consumes these plugins, which will\n\
             load any plugins automatically (here: terraform init / plan / apply).\n\
             To debug it, run it with --debug and follow the instructions it prints."
        );
        return ExitCode::from(1);
    }
    if let Err(msg) = negotiate_version() {
        eprintln!("{msg}");
        return ExitCode::from(1);
    }
    crate::logging::init(&options.module);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("failed to start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(provider, options, debug)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::from(1)
        }
    }
}

fn negotiate_version() -> Result<(), String> {
    let Ok(offered) = std::env::var("PLUGIN_PROTOCOL_VERSIONS") else {
        return Ok(());
    };
    if offered
        .split(',')
        .any(|v| v.trim().parse::<u32>() == Ok(PROTOCOL_VERSION))
    {
        Ok(())
    } else {
        Err(format!(
            "This provider speaks plugin protocol {PROTOCOL_VERSION}, but Terraform offered only {offered:?}. \
             Use Terraform 1.0 or later."
        ))
    }
}

enum Listener {
    Unix(UnixListener, PathBuf),
    Tcp(TcpListener),
}

impl Listener {
    async fn bind() -> Result<Listener, String> {
        let dir = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = dir.join(format!("plugin-{}-{nanos:x}.sock", std::process::id()));
        match UnixListener::bind(&path) {
            Ok(l) => return Ok(Listener::Unix(l, path)),
            Err(e) => {
                tracing::debug!(error = %e, path = %path.display(), "unix socket unavailable; using TCP")
            }
        }
        let port = |k: &str, d: u16| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(d)
        };
        let (min, max) = (
            port("PLUGIN_MIN_PORT", 10000),
            port("PLUGIN_MAX_PORT", 25000),
        );
        if min > max {
            return Err(format!(
                "PLUGIN_MIN_PORT {min} is above PLUGIN_MAX_PORT {max}"
            ));
        }
        let span = u32::from(max - min) + 1;
        let start = std::process::id() % span;
        for i in 0..span {
            let p = min + u16::try_from((start + i) % span).unwrap_or(0);
            if let Ok(l) = TcpListener::bind(("127.0.0.1", p)).await {
                return Ok(Listener::Tcp(l));
            }
        }
        Err(format!(
            "no free TCP port on 127.0.0.1 between {min} and {max}"
        ))
    }

    fn describe(&self) -> Result<(&'static str, String), String> {
        match self {
            Listener::Unix(_, path) => Ok(("unix", path.display().to_string())),
            Listener::Tcp(l) => l
                .local_addr()
                .map(|a| ("tcp", a.to_string()))
                .map_err(|e| e.to_string()),
        }
    }

    async fn accept(&self) -> std::io::Result<Box<dyn Io>> {
        match self {
            Listener::Unix(l, _) => Ok(Box::new(l.accept().await?.0)),
            Listener::Tcp(l) => {
                let (s, _) = l.accept().await?;
                s.set_nodelay(true)?;
                Ok(Box::new(s))
            }
        }
    }
}

async fn run(provider: Arc<dyn Provider>, options: Options, debug: bool) -> Result<(), String> {
    let client_cert = match std::env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !pem.trim().is_empty() => Some(tls::parse_client_cert(&pem)?),
        _ => None,
    };
    let (acceptor, cert_b64) = match client_cert {
        Some(client) => {
            let id = tls::ServerIdentity::generate()
                .map_err(|e| format!("cannot create the TLS certificate: {e}"))?;
            let config = id
                .server_config(client)
                .map_err(|e| format!("cannot configure TLS: {e}"))?;
            (
                Some(TlsAcceptor::from(config)),
                base64::engine::general_purpose::STANDARD_NO_PAD.encode(&id.cert_der),
            )
        }
        None => (None, String::new()),
    };
    let listener = Listener::bind().await?;
    let (network, addr) = listener.describe()?;

    let shutdown = CancellationToken::new();
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let incoming = incoming(listener, acceptor, shutdown.clone());
    let service = ProviderService::new(provider);
    let server = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(plugin::controller(shutdown.clone()))
        .add_service(plugin::stdio(shutdown.clone()))
        .add_service(plugin::broker(shutdown.clone()))
        .add_service(service.clone().into_server())
        .serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned());

    if debug {
        let reattach = serde_json::json!({
            options.address.clone(): {
                "Protocol": "grpc",
                "ProtocolVersion": PROTOCOL_VERSION,
                "Pid": std::process::id(),
                "Test": true,
                "Addr": { "Network": network, "String": addr },
            }
        });
        println!(
            "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'\n"
        );
    } else {
        println!("{CORE_PROTOCOL}|{PROTOCOL_VERSION}|{network}|{addr}|grpc|{cert_b64}");
    }
    let _ = std::io::stdout().flush();

    tokio::spawn(signals(shutdown.clone(), debug));
    // On shutdown, in-flight work is cancelled (it saves partial state and
    // returns), and the server gets a short grace period to answer.
    let grace = async {
        shutdown.cancelled().await;
        service.cancel_in_flight();
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    let result = tokio::select! {
        r = server => r.map_err(|e| format!("gRPC server failed: {e}")),
        () = grace => {
            tracing::warn!("shutdown grace period over; exiting with requests still open");
            Ok(())
        }
    };
    if network == "unix" {
        let _ = std::fs::remove_file(&addr);
    }
    result
}

/// SIGINT is ignored (Ctrl-C reaches the whole process group; Terraform
/// calls StopProvider instead), except in `--debug` mode where it stops the
/// server. SIGTERM stops the server cleanly.
async fn signals(shutdown: CancellationToken, debug: bool) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    loop {
        tokio::select! {
            _ = int.recv() => {
                if debug {
                    shutdown.cancel();
                    return;
                }
                tracing::debug!("ignoring SIGINT; Terraform stops work through StopProvider");
            }
            _ = term.recv() => {
                shutdown.cancel();
                return;
            }
        }
    }
}

/// Accepted connections, after the TLS handshake when mTLS is on. A client
/// that fails the handshake (no certificate, or not the pinned one) is
/// dropped and never reaches gRPC.
fn incoming(
    listener: Listener,
    acceptor: Option<TlsAcceptor>,
    shutdown: CancellationToken,
) -> tokio_stream::wrappers::ReceiverStream<std::io::Result<Conn>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let conn = tokio::select! {
                c = listener.accept() => c,
                () = shutdown.cancelled() => return,
            };
            let io = match conn {
                Ok(io) => io,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            };
            let tx = tx.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let conn = match acceptor {
                    None => Conn(io),
                    Some(a) => match a.accept(io).await {
                        Ok(tls) => Conn(Box::new(tls)),
                        Err(e) => {
                            tracing::warn!(error = %e, "rejected a connection that failed mutual TLS");
                            return;
                        }
                    },
                };
                let _ = tx.send(Ok(conn)).await;
            });
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// One accepted connection, plain or TLS, over Unix or TCP.
struct Conn(Box<dyn Io>);

impl Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}
