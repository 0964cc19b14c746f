// SPDX-License-Identifier: MIT OR Apache-2.0
//! The exposition, written by `prometheus-client`'s encoders from one
//! [`Reading`] and the loop's [`Facts`]: the kernel's counters and rates
//! per virtual and real (what `ipvsadm -Ln --stats --exact` and `--rate`
//! show), the reals' state and checks, and the daemon's reloads.
//!
//! Labels: `virtual` is the service as `ipvsctl list` writes it
//! (`tcp 10.0.0.1:80`, `fwmark 7`), `real` its `address:port`. The check
//! duration histogram is by check `kind` only, so that 10,000 reals do not
//! make 10,000 histograms.
//!
//! | file      | families                                                    |
//! |-----------|-------------------------------------------------------------|
//! | `kernel`  | `ipvsctl_virtual_*`, `ipvsctl_real_*` of the kernel table   |
//! | `health`  | real state, checks, transitions; check duration histogram   |
//! | `daemon`  | virtual info, reloads, last good config, table read, build  |

use std::fmt;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

mod daemon;
mod health;
mod kernel;

use super::facts::Facts;
use super::reading::Reading;

/// The exposition formats a scraper may ask for (`Accept`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics 1.0 text, when the `Accept` header names it (Prometheus
    /// asks for it first).
    OpenMetrics,
    /// The Prometheus text format 0.0.4, for everyone else.
    Prometheus,
}

impl Format {
    /// The format an `Accept` header asks for.
    pub fn from_accept(accept: Option<&str>) -> Self {
        match accept {
            Some(a) if a.contains("application/openmetrics-text") => Format::OpenMetrics,
            _ => Format::Prometheus,
        }
    }

    /// Its `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

/// Every sample name the endpoint may write (a counter's with its
/// `_total`, a histogram's `_bucket`, `_sum`, `_count`): what a dashboard
/// may query.
pub const FAMILIES: &[&str] = &[
    "ipvsctl_virtual_connections_total",
    "ipvsctl_virtual_packets_total",
    "ipvsctl_virtual_bytes_total",
    "ipvsctl_virtual_connections_per_second",
    "ipvsctl_virtual_packets_per_second",
    "ipvsctl_virtual_bytes_per_second",
    "ipvsctl_real_connections_total",
    "ipvsctl_real_packets_total",
    "ipvsctl_real_bytes_total",
    "ipvsctl_real_connections_per_second",
    "ipvsctl_real_packets_per_second",
    "ipvsctl_real_bytes_per_second",
    "ipvsctl_real_active_connections",
    "ipvsctl_real_inactive_connections",
    "ipvsctl_real_weight",
    "ipvsctl_real_state",
    "ipvsctl_real_transitions_total",
    "ipvsctl_real_checks_total",
    "ipvsctl_check_duration_seconds_bucket",
    "ipvsctl_check_duration_seconds_sum",
    "ipvsctl_check_duration_seconds_count",
    "ipvsctl_virtual_info",
    "ipvsctl_reloads_total",
    "ipvsctl_resyncs_total",
    "ipvsctl_resync_repairs_total",
    "ipvsctl_virtual_announced",
    "ipvsctl_config_last_reload_success_timestamp_seconds",
    "ipvsctl_table_read_success",
    "ipvsctl_table_read_duration_seconds",
    "ipvsctl_build_info",
];

/// The exposition of one scrape.
pub fn render(reading: Arc<Reading>, facts: Arc<Facts>, format: Format) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Scrape { reading, facts }));
    let mut out = String::new();
    let written = match format {
        Format::OpenMetrics => prometheus_client::encoding::text::encode(&mut out, &registry),
        Format::Prometheus => {
            prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)
        }
    };
    // Writing to a String fails only if an encoder refuses its input,
    // which ours never gives; say so rather than serve half an answer.
    if written.is_err() {
        return "# the exposition could not be encoded\n".to_string();
    }
    out
}

#[derive(Debug)]
struct Scrape {
    reading: Arc<Reading>,
    facts: Arc<Facts>,
}

pub(super) fn value(m: &mut MetricEncoder<'_>, kind: MetricType, v: u64) -> fmt::Result {
    match kind {
        MetricType::Counter => m.encode_counter::<NoLabelSet, _, u64>(&v, None),
        _ => m.encode_gauge(&v),
    }
}

/// Writes one statistic's samples for one label set.
pub(super) fn stat(
    m: &mut MetricEncoder<'_>,
    kind: MetricType,
    labels: &[(&str, &str)],
    values: [(Option<&'static str>, u64); 2],
) -> fmt::Result {
    for (i, (direction, v)) in values.into_iter().enumerate() {
        match direction {
            None if i > 0 => {}
            None => value(&mut m.encode_family(&labels.to_vec())?, kind, v)?,
            Some(d) => {
                let mut with = labels.to_vec();
                with.push(("direction", d));
                value(&mut m.encode_family(&with)?, kind, v)?;
            }
        }
    }
    Ok(())
}

impl Collector for Scrape {
    fn encode(&self, mut e: DescriptorEncoder) -> fmt::Result {
        self.kernel(&mut e)?;
        self.health(&mut e)?;
        self.daemon(&mut e)
    }
}
