// SPDX-License-Identifier: MIT OR Apache-2.0
//! The checked reals: their state, checks and changes of health, and the
//! check duration histogram by check type.

use std::collections::HashMap;
use std::fmt;

use health::{CheckCounts, Health, DURATION_BOUNDS_MICROS};
use ipvs::net::socket_text;
use ipvs::ServiceKey;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

use super::super::facts::RealState;
use super::{value, Scrape};

impl Scrape {
    pub(super) fn health(&self, e: &mut DescriptorEncoder) -> fmt::Result {
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
}
