//! go-plugin's own services: health, controller (shutdown), stdio and the
//! broker stub.

use tokio_util::sync::CancellationToken;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status, Streaming};

use crate::proto::plugin::grpc_broker_server::{GrpcBroker, GrpcBrokerServer};
use crate::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use crate::proto::plugin::grpc_stdio_server::{GrpcStdio, GrpcStdioServer};
use crate::proto::plugin::{ConnInfo, Empty, StdioData};

/// `plugin.GRPCController`: Terraform's request to shut the plugin down.
pub struct Controller(pub CancellationToken);

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("shutdown requested by Terraform");
        self.0.cancel();
        Ok(Response::new(Empty {}))
    }
}

/// `plugin.GRPCStdio`: we do not redirect stdout/stderr through gRPC (logs
/// go to stderr directly), so the stream stays open and silent until
/// shutdown.
pub struct Stdio(pub CancellationToken);

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    async fn stream_stdio(&self, _: Request<()>) -> Result<Response<BoxStream<StdioData>>, Status> {
        let done = self.0.clone();
        let stream = futures_util::stream::once(async move {
            done.cancelled().await;
            Err(Status::unavailable("plugin shutting down"))
        });
        Ok(Response::new(Box::pin(futures_util::StreamExt::skip(
            stream, 1,
        ))))
    }
}

/// `plugin.GRPCBroker`: providers need no extra connections; the stream is
/// accepted and kept open.
pub struct Broker(pub CancellationToken);

#[tonic::async_trait]
impl GrpcBroker for Broker {
    async fn start_stream(
        &self,
        _: Request<Streaming<ConnInfo>>,
    ) -> Result<Response<BoxStream<ConnInfo>>, Status> {
        let done = self.0.clone();
        let stream = futures_util::stream::once(async move {
            done.cancelled().await;
            Err(Status::unavailable("plugin shutting down"))
        });
        Ok(Response::new(Box::pin(futures_util::StreamExt::skip(
            stream, 1,
        ))))
    }
}

pub fn controller(t: CancellationToken) -> GrpcControllerServer<Controller> {
    GrpcControllerServer::new(Controller(t))
}

pub fn stdio(t: CancellationToken) -> GrpcStdioServer<Stdio> {
    GrpcStdioServer::new(Stdio(t))
}

pub fn broker(t: CancellationToken) -> GrpcBrokerServer<Broker> {
    GrpcBrokerServer::new(Broker(t))
}
