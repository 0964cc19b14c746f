// SPDX-License-Identifier: MIT OR Apache-2.0
//! The health checks as the loop uses them: a small trait that the health
//! engine implements, and host tests fake (their transitions are sent by
//! hand).

use std::future::Future;

use health::{Engine, Target, TargetStatus};
use ipvs::ServiceKey;

/// The running checks, by the kernel's service key.
pub trait Checks {
    /// Makes the running checks exactly `targets` (unchanged ones keep
    /// their state).
    fn reconcile(&self, targets: Vec<Target<ServiceKey>>);

    /// The state of every target.
    fn snapshot(&self) -> Vec<TargetStatus<ServiceKey>>;

    /// Stops every check and waits for them to end.
    fn stop(&self) -> impl Future<Output = ()>;
}

impl Checks for Engine<ServiceKey> {
    fn reconcile(&self, targets: Vec<Target<ServiceKey>>) {
        Engine::reconcile(self, targets);
    }

    fn snapshot(&self) -> Vec<TargetStatus<ServiceKey>> {
        Engine::snapshot(self)
    }

    fn stop(&self) -> impl Future<Output = ()> {
        Engine::stop(self)
    }
}

/// The engine shared with the metrics endpoint, which reads its totals.
impl<C: Checks> Checks for std::sync::Arc<C> {
    fn reconcile(&self, targets: Vec<Target<ServiceKey>>) {
        C::reconcile(self, targets);
    }

    fn snapshot(&self) -> Vec<TargetStatus<ServiceKey>> {
        C::snapshot(self)
    }

    fn stop(&self) -> impl Future<Output = ()> {
        C::stop(self)
    }
}
