// SPDX-License-Identifier: MIT OR Apache-2.0
//! The exposition, written by `prometheus-client`'s encoders from one
//! [`Reading`] and the loop's [`Facts`]: the kernel's counters and rates
//! per virtual and real (what `ipvsadm -Ln --stats --exact` and `--rate`
//! show), the reals' state and checks, and the daemon's reloads.
//!
//! Labels: `virtual` is the service as `ipvsctl list` writes it
//! (`TCP 10.0.0.1:80`, `fwmark 7`), `real` its `address:port`. The check
//! duration histogram is by check `kind` only, so that 10,000 reals do not
//! make 10,000 histograms.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use health::{CheckCounts, Health, DURATION_BOUNDS_MICROS};
use ipvs::net::socket_text;
use ipvs::{ServiceKey, Stats};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::facts::{Facts, RealState};
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

/// A statistic of [`Stats`]: `(direction, value)` pairs.
type Getter = fn(&Stats) -> [(Option<&'static str>, u64); 2];

/// A gauge of a destination entry.
type DestinationGauge = fn(&ipvs::DestinationEntry) -> u64;

/// The kernel's statistics, each family for virtuals and for reals.
const STATS: [(&str, &str, MetricType, Getter); 6] = [
    (
        "connections",
        "Connections scheduled (ipvsadm --stats Conns)",
        MetricType::Counter,
        |s| [(None, s.connections), (None, 0)],
    ),
    (
        "packets",
        "Packets (ipvsadm --stats InPkts, OutPkts)",
        MetricType::Counter,
        |s| [(Some("in"), s.packets_in), (Some("out"), s.packets_out)],
    ),
    (
        "bytes",
        "Bytes (ipvsadm --stats InBytes, OutBytes)",
        MetricType::Counter,
        |s| [(Some("in"), s.bytes_in), (Some("out"), s.bytes_out)],
    ),
    (
        "connections_per_second",
        "The kernel's estimate of connections per second (ipvsadm --rate CPS)",
        MetricType::Gauge,
        |s| [(None, s.connection_rate), (None, 0)],
    ),
    (
        "packets_per_second",
        "The kernel's estimate of packets per second (ipvsadm --rate InPPS, OutPPS)",
        MetricType::Gauge,
        |s| {
            [
                (Some("in"), s.packet_rate_in),
                (Some("out"), s.packet_rate_out),
            ]
        },
    ),
    (
        "bytes_per_second",
        "The kernel's estimate of bytes per second (ipvsadm --rate InBPS, OutBPS)",
        MetricType::Gauge,
        |s| [(Some("in"), s.byte_rate_in), (Some("out"), s.byte_rate_out)],
    ),
];

fn value(m: &mut MetricEncoder<'_>, kind: MetricType, v: u64) -> fmt::Result {
    match kind {
        MetricType::Counter => m.encode_counter::<NoLabelSet, _, u64>(&v, None),
        _ => m.encode_gauge(&v),
    }
}

/// Writes one statistic's samples for one label set.
fn stat(
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

impl Scrape {
    fn kernel(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        let Ok(table) = &self.reading.table else {
            return Ok(());
        };
        let texts: Vec<(String, Vec<String>)> = table
            .iter()
            .map(|t| {
                let reals = t
                    .destinations
                    .iter()
                    .map(|d| socket_text(&d.destination.address.ip(), d.destination.address.port()))
                    .collect();
                (t.service.service.key.to_string(), reals)
            })
            .collect();
        for (suffix, help, kind, get) in STATS {
            let name = format!("ipvsctl_virtual_{suffix}");
            let mut m = e.encode_descriptor(&name, help, None, kind)?;
            for (t, (v, _)) in table.iter().zip(&texts) {
                stat(&mut m, kind, &[("virtual", v)], get(&t.service.stats))?;
            }
        }
        for (suffix, help, kind, get) in STATS {
            let name = format!("ipvsctl_real_{suffix}");
            let mut m = e.encode_descriptor(&name, help, None, kind)?;
            for (t, (v, reals)) in table.iter().zip(&texts) {
                for (d, r) in t.destinations.iter().zip(reals) {
                    stat(&mut m, kind, &[("virtual", v), ("real", r)], get(&d.stats))?;
                }
            }
        }
        let gauges: [(&str, &str, DestinationGauge); 3] = [
            (
                "ipvsctl_real_active_connections",
                "Established connections (ipvsadm ActiveConn)",
                |d| d.active_connections.into(),
            ),
            (
                "ipvsctl_real_inactive_connections",
                "Other connections (ipvsadm InActConn)",
                |d| d.inactive_connections.into(),
            ),
            (
                "ipvsctl_real_weight",
                "The real's weight in the kernel (0: quiescent or drained)",
                |d| d.destination.weight.into(),
            ),
        ];
        for (name, help, get) in gauges {
            let mut m = e.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for (t, (v, reals)) in table.iter().zip(&texts) {
                for (d, r) in t.destinations.iter().zip(reals) {
                    let labels = [("virtual", v.as_str()), ("real", r.as_str())];
                    m.encode_family(&labels)?.encode_gauge(&get(d))?;
                }
            }
        }
        Ok(())
    }

    fn health(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        let counts = &self.reading.counts;
        let texts: Vec<(String, String)> = counts
            .iter()
            .map(|c| {
                (
                    c.key.service.to_string(),
                    socket_text(&c.key.real.ip(), c.key.real.port()),
                )
            })
            .collect();
        let mut m = e.encode_descriptor(
            "ipvsctl_real_state",
            "1 for the real's state (up, down, drained, disabled), 0 for the others",
            None,
            MetricType::Gauge,
        )?;
        for (c, (v, r)) in counts.iter().zip(&texts) {
            let now = match self.facts.overrides.get(&c.key) {
                Some(state) => *state,
                None if c.health == Health::Up => RealState::Up,
                None => RealState::Down,
            };
            for state in RealState::ALL {
                let labels = [
                    ("virtual", v.as_str()),
                    ("real", r),
                    ("state", state.label()),
                ];
                m.encode_family(&labels)?
                    .encode_gauge(&u64::from(state == now))?;
            }
        }
        let mut m = e.encode_descriptor(
            "ipvsctl_real_transitions",
            "Changes of health (up to down, down to up) since the real's check started",
            None,
            MetricType::Counter,
        )?;
        for (c, (v, r)) in counts.iter().zip(&texts) {
            let labels = [("virtual", v.as_str()), ("real", r.as_str())];
            value(
                &mut m.encode_family(&labels)?,
                MetricType::Counter,
                c.counts.transitions,
            )?;
        }
        let mut m = e.encode_descriptor(
            "ipvsctl_real_checks",
            "Checks of the real since its check started, by result",
            None,
            MetricType::Counter,
        )?;
        for (c, (v, r)) in counts.iter().zip(&texts) {
            for (result, n) in [("ok", c.counts.ok), ("failed", c.counts.failed)] {
                let labels = [("virtual", v.as_str()), ("real", r), ("result", result)];
                value(&mut m.encode_family(&labels)?, MetricType::Counter, n)?;
            }
        }
        self.durations(e)
    }

    /// The check duration histogram, summed by check kind.
    fn durations(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        let kinds: HashMap<&ServiceKey, &'static str> = self
            .facts
            .virtuals
            .iter()
            .map(|v| (&v.service, v.check_kind))
            .collect();
        let mut by_kind: Vec<(&'static str, CheckCounts)> = Vec::new();
        for c in &self.reading.counts {
            let kind = kinds.get(&c.key.service).copied().unwrap_or("unknown");
            match by_kind.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, sum)) => sum.add(&c.counts),
                None => by_kind.push((kind, c.counts)),
            }
        }
        by_kind.sort_by_key(|(k, _)| *k);
        let mut m = e.encode_descriptor(
            "ipvsctl_check_duration_seconds",
            "How long checks took, by check type",
            None,
            MetricType::Histogram,
        )?;
        for (kind, sum) in by_kind {
            let mut buckets: Vec<(f64, u64)> = DURATION_BOUNDS_MICROS
                .iter()
                .zip(sum.buckets.iter())
                .map(|(bound, n)| (*bound as f64 / 1e6, *n))
                .collect();
            buckets.push((f64::INFINITY, sum.buckets[DURATION_BOUNDS_MICROS.len()]));
            let count = sum.buckets.iter().fold(0u64, |a, n| a.wrapping_add(*n));
            m.encode_family(&[("kind", kind)])?
                .encode_histogram::<NoLabelSet>(
                    sum.duration_sum_micros as f64 / 1e6,
                    count,
                    &buckets,
                    None,
                )?;
        }
        Ok(())
    }

    fn daemon(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        let mut m = e.encode_descriptor(
            "ipvsctl_virtual",
            "The configured virtuals, with their names",
            None,
            MetricType::Info,
        )?;
        for v in &self.facts.virtuals {
            let service = v.service.to_string();
            let name = v.name.as_deref().unwrap_or("");
            m.encode_info(&[("virtual", service.as_str()), ("name", name)])?;
        }
        let reloads = self.facts.reloads;
        let mut m = e.encode_descriptor(
            "ipvsctl_reloads",
            "Reloads (SIGHUP, ipvsctl reload) by result: applied, refused (errors in the files), table_error",
            None,
            MetricType::Counter,
        )?;
        for (result, n) in [
            ("applied", reloads.applied),
            ("refused", reloads.refused),
            ("table_error", reloads.table_error),
        ] {
            value(
                &mut m.encode_family(&[("result", result)])?,
                MetricType::Counter,
                n,
            )?;
        }
        e.encode_descriptor(
            "ipvsctl_config_last_reload_success_timestamp_seconds",
            "When the configuration in force was loaded (unix time)",
            None,
            MetricType::Gauge,
        )?
        .encode_gauge(&self.facts.last_good_config_unix)?;
        e.encode_descriptor(
            "ipvsctl_table_read_success",
            "1 when this scrape's reading of the kernel table succeeded",
            None,
            MetricType::Gauge,
        )?
        .encode_gauge(&u64::from(self.reading.table.is_ok()))?;
        e.encode_descriptor(
            "ipvsctl_table_read_duration_seconds",
            "How long this scrape's reading of the table and the checks' totals took",
            None,
            MetricType::Gauge,
        )?
        .encode_gauge(&self.reading.took.as_secs_f64())?;
        e.encode_descriptor("ipvsctl_build", "ipvsctl's version", None, MetricType::Info)?
            .encode_info(&[("version", env!("CARGO_PKG_VERSION"))])
    }
}
