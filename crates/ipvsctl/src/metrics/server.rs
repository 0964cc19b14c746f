// SPDX-License-Identifier: MIT OR Apache-2.0
//! The HTTP/1.1 server of `GET /metrics` (hyper), in its own tasks on the
//! daemon's runtime. Nothing a client does reaches the loop or the checks,
//! and every client is bounded: connections at once, time to send the
//! request head, its size, and the life of a kept-alive connection.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ACCEPT, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tracing::warn;

use super::collect::{render, Format};
use super::facts::Facts;
use super::reading::{Cache, Reading};

/// What one client may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once; more wait in the listen backlog.
    pub connections: usize,
    /// Time to send a request's head (also between kept-alive requests).
    pub header_timeout: Duration,
    /// The longest a connection is kept; then it is closed (after the
    /// request in progress, given `header_timeout` more to finish).
    pub connection_life: Duration,
    /// The largest request head, in bytes (hyper's floor is 8 KiB).
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connections: 16,
            header_timeout: Duration::from_secs(5),
            connection_life: Duration::from_secs(60),
            max_header_bytes: 16 * 1024,
        }
    }
}

/// Serves `GET /metrics` on `listener` until the runtime stops; anything
/// else is 404.
pub async fn serve(
    listener: TcpListener,
    cache: Arc<Cache>,
    facts: watch::Receiver<Arc<Facts>>,
    limits: Limits,
) {
    let slots = Arc::new(Semaphore::new(limits.connections.max(1)));
    let page = Arc::new(tokio::sync::Mutex::new(None));
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return; // never closed
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors, most likely: wait rather than spin.
                warn!("metrics: cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let cache = Arc::clone(&cache);
        let facts = facts.clone();
        let page = Arc::clone(&page);
        tokio::spawn(async move {
            let _slot = slot;
            let service = service_fn(move |request| {
                answer(
                    request,
                    Arc::clone(&cache),
                    facts.borrow().clone(),
                    Arc::clone(&page),
                )
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .max_buf_size(limits.max_header_bytes.max(8192))
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = tokio::time::sleep(limits.connection_life) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(limits.header_timeout, connection).await;
                }
            }
        });
    }
}

/// The last exposition written, and what it was written from: scrapes
/// that share a reading (and the same facts and format) share the text.
struct Page {
    reading: Arc<Reading>,
    facts: Arc<Facts>,
    format: Format,
    body: Bytes,
}

/// Held while a page is written, so that concurrent scrapes wait for it.
type LastPage = Arc<tokio::sync::Mutex<Option<Page>>>;

async fn answer(
    request: Request<Incoming>,
    cache: Arc<Cache>,
    facts: Arc<Facts>,
    page: LastPage,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.method() != Method::GET || request.uri().path() != "/metrics" {
        return Ok(plain(StatusCode::NOT_FOUND, "not found: GET /metrics\n"));
    }
    let format = Format::from_accept(
        request
            .headers()
            .get(ACCEPT)
            .and_then(|value| value.to_str().ok()),
    );
    let reading = cache.get().await;
    let mut last = page.lock().await;
    let same = last.as_ref().is_some_and(|p| {
        Arc::ptr_eq(&p.reading, &reading) && Arc::ptr_eq(&p.facts, &facts) && p.format == format
    });
    let body = match last.as_ref() {
        Some(p) if same => Ok(p.body.clone()),
        _ => {
            let (r, f) = (Arc::clone(&reading), Arc::clone(&facts));
            // Off the runtime's workers: 10,000 reals are some 200,000 lines.
            tokio::task::spawn_blocking(move || Bytes::from(render(r, f, format))).await
        }
    };
    if let Ok(body) = &body {
        *last = Some(Page {
            reading,
            facts,
            format,
            body: body.clone(),
        });
    }
    drop(last);
    Ok(match body {
        Ok(body) => {
            let mut response = Response::new(Full::new(body));
            if let Ok(value) = format.content_type().parse() {
                response.headers_mut().insert(CONTENT_TYPE, value);
            }
            response
        }
        Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "the exposition failed\n"),
    })
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}
