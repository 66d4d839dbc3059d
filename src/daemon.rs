//! The long-running service: schedules every source on its own interval,
//! republishes after each pass, serves HTTP, and shuts down cleanly.

use std::collections::HashSet;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::pipeline::{self, Context, PipelineError, SourceReport, Status};
use crate::publish::{self, PublishError, Publisher};

/// How long in-flight passes may take to finish after a shutdown request.
pub const DRAIN: Duration = Duration::from_secs(8);

/// Why the daemon stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// Setting up the pipeline failed.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// Publishing or serving failed.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// The HTTP server stopped with an error.
    #[error("HTTP server error: {0}")]
    Server(std::io::Error),
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Runs the daemon until `shutdown` is cancelled.
pub async fn run(config: Config, shutdown: CancellationToken) -> Result<(), DaemonError> {
    let ctx = Context::new(config)?;
    let publisher = ctx.publisher();
    publisher.refresh(true).await?;
    let addr = ctx.config.service.listen;
    let listener = publish::bind(addr).await?;
    let bound = listener.local_addr().map_err(DaemonError::Server)?;
    tracing::info!(url = %format!("http://{bound}/feed.atom"), sources = ctx.config.enabled_sources().count(), "marsad running");
    let stop_server = CancellationToken::new();
    let server = {
        let stop = stop_server.clone();
        tokio::spawn(publish::serve(publisher.clone(), listener, async move {
            stop.cancelled().await
        }))
    };
    schedule(&ctx, &publisher, &shutdown).await;
    stop_server.cancel();
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(DaemonError::Server(e)),
        Err(e) => tracing::error!(error = %e, "HTTP server task failed"),
    }
    tracing::info!("marsad stopped");
    Ok(())
}

/// Serves the published feed from the database only (no polling).
pub async fn serve_only(config: Config, shutdown: CancellationToken) -> Result<(), DaemonError> {
    let store = crate::store::Store::open(&config.service.database).map_err(PipelineError::from)?;
    // No output file here: `run` or `poll` own it.
    let publisher = Publisher::new(store, pipeline::feed_meta(&config), None);
    publisher.refresh(true).await?;
    let listener = publish::bind(config.service.listen).await?;
    let bound = listener.local_addr().map_err(DaemonError::Server)?;
    tracing::info!(url = %format!("http://{bound}/feed.atom"), "serving from the database");
    publish::serve(
        publisher,
        listener,
        async move { shutdown.cancelled().await },
    )
    .await
    .map_err(DaemonError::Server)
}

async fn schedule(ctx: &Context, publisher: &Publisher, shutdown: &CancellationToken) {
    let mut tasks: JoinSet<SourceReport> = JoinSet::new();
    let mut in_flight: HashSet<String> = HashSet::new();
    // The near-duplicate index is pruned at start and then hourly.
    let mut next_prune = 0;
    loop {
        if now() >= next_prune {
            pipeline::prune_index(ctx).await;
            next_prune = now() + 3600;
        }
        let mut wake_in: i64 = 60;
        match ctx.store.source_states() {
            Ok(states) => {
                let t = now();
                for source in ctx.config.enabled_sources() {
                    if in_flight.contains(&source.name) {
                        continue;
                    }
                    let state = states.iter().find(|s| s.name == source.name);
                    if state.is_some_and(|s| s.disabled_reason.is_some()) {
                        continue;
                    }
                    match state.and_then(|s| s.next_poll) {
                        Some(next) if next > t => wake_in = wake_in.min(next - t),
                        _ => {
                            in_flight.insert(source.name.clone());
                            let (ctx, source) = (ctx.clone(), source.clone());
                            tasks.spawn(async move { pipeline::poll_source(&ctx, &source).await });
                        }
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read source states; retrying in a minute")
            }
        }
        let sleep = tokio::time::sleep(Duration::from_secs(
            u64::try_from(wake_in.clamp(1, 60)).unwrap_or(60),
        ));
        tokio::select! {
            () = shutdown.cancelled() => break,
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                match done {
                    Ok(report) => {
                        in_flight.remove(&report.name);
                        if report.status == Status::Ok
                            && report.new + report.updated > 0
                            && let Err(e) = publisher.refresh(false).await
                        {
                            tracing::error!(error = %e, "cannot publish the feed");
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "a poll task failed");
                        in_flight.clear();
                    }
                }
            }
            () = sleep => {}
        }
    }
    if !tasks.is_empty() {
        tracing::info!(
            in_flight = tasks.len(),
            "shutting down: letting in-flight passes finish"
        );
        let deadline = tokio::time::sleep(DRAIN);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                next = tasks.join_next() => if next.is_none() { break },
                () = &mut deadline => {
                    tracing::warn!(aborted = tasks.len(), "passes still fetching at the deadline were abandoned (nothing of theirs was written)");
                    tasks.abort_all();
                    break;
                }
            }
        }
    }
    if let Err(e) = publisher.refresh(false).await {
        tracing::error!(error = %e, "cannot publish the feed");
    }
}
