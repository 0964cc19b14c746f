// SPDX-License-Identifier: MIT OR Apache-2.0
//! The kernel's numbers: per virtual and real, what `ipvsadm -Ln --stats
//! --exact` and `--rate` show, and each real's connections and weight.

use std::fmt;

use ipvs::net::socket_text;
use ipvs::Stats;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::MetricType;

use super::{stat, Scrape};

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

impl Scrape {
    pub(super) fn kernel(&self, e: &mut DescriptorEncoder) -> fmt::Result {
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
}
