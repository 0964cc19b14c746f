// SPDX-License-Identifier: MIT OR Apache-2.0
//! A connection that reads at most so many bytes: the HTTP check's bound on
//! a whole answer, headers and interim (`1xx`) responses included. hyper
//! bounds one message head, not how many heads come: a real that sends
//! `HTTP/1.1 100 Continue` forever would keep a check parsing until its
//! timeout.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// `io`, of which at most `limit` bytes are read; past them a read fails
/// and [`Bounded::exceeded`]'s flag is set, so the caller can say why.
pub(crate) struct Bounded<S> {
    io: S,
    left: usize,
    exceeded: Arc<AtomicBool>,
}

impl<S> Bounded<S> {
    pub(crate) fn new(io: S, limit: usize) -> Self {
        Self {
            io,
            left: limit,
            exceeded: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Set once a read went past the limit.
    pub(crate) fn exceeded(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.exceeded)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Bounded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        if self.left == 0 {
            // The end of the answer, or one byte too many?
            let mut one = [0u8; 1];
            let mut probe = ReadBuf::new(&mut one);
            std::task::ready!(Pin::new(&mut self.io).poll_read(cx, &mut probe))?;
            if probe.filled().is_empty() {
                return Poll::Ready(Ok(()));
            }
            self.exceeded.store(true, Ordering::Relaxed);
            return Poll::Ready(Err(io::Error::other("answer too long")));
        }
        let room = self.left.min(buf.remaining());
        let mut limited = buf.take(room);
        let polled = Pin::new(&mut self.io).poll_read(cx, &mut limited);
        let n = limited.filled().len();
        if let Poll::Ready(Ok(())) = polled {
            // SAFETY: `limited` filled (so initialised) these n bytes of
            // `buf`'s unfilled part.
            unsafe { buf.assume_init(n) };
            buf.advance(n);
            self.left -= n;
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Bounded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    #[tokio::test]
    async fn reads_stop_at_the_limit_and_say_so() {
        let source: &[u8] = &[7u8; 100];
        let mut bounded = Bounded::new(source, 30);
        let exceeded = bounded.exceeded();
        let mut out = Vec::new();
        let error = bounded.read_to_end(&mut out).await.unwrap_err();
        assert_eq!(error.to_string(), "answer too long");
        assert_eq!(out.len(), 30);
        assert!(exceeded.load(Ordering::Relaxed));
    }

    #[tokio::test]
    async fn an_answer_within_the_limit_reads_whole() {
        let source: &[u8] = &[7u8; 30];
        let mut bounded = Bounded::new(source, 30);
        let mut out = Vec::new();
        bounded.read_to_end(&mut out).await.unwrap();
        assert_eq!(out.len(), 30);
        assert!(!bounded.exceeded().load(Ordering::Relaxed));
    }
}
