// SPDX-License-Identifier: MIT OR Apache-2.0
//! The daemon's own: the configured virtuals, reloads, resyncs, the last good
//! configuration, the scrape's table read, the version.

use std::fmt;

use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::MetricType;

use super::{value, Scrape};

impl Scrape {
    pub(super) fn daemon(&self, e: &mut DescriptorEncoder) -> fmt::Result {
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
        let resyncs = self.facts.resyncs;
        for (name, help, n) in [
            (
                "ipvsctl_resyncs",
                "Resyncs of the table ([defaults] resync, ipvsctl resync)",
                resyncs.runs,
            ),
            (
                "ipvsctl_resync_repairs",
                "Differences from the declared state (changed outside ipvsctl, or refused earlier) that resyncs repaired",
                resyncs.repairs,
            ),
        ] {
            let mut m = e.encode_descriptor(name, help, None, MetricType::Counter)?;
            value(&mut m, MetricType::Counter, n)?;
        }
        if !self.facts.announced.is_empty() {
            let mut m = e.encode_descriptor(
                "ipvsctl_virtual_announced",
                "[announce]: 1 while the virtual's address is announced (its route in for BIRD)",
                None,
                MetricType::Gauge,
            )?;
            for (service, announced) in &self.facts.announced {
                let service = service.to_string();
                m.encode_family(&[("virtual", service.as_str())])?
                    .encode_gauge(&u64::from(*announced))?;
            }
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
