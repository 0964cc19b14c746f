// SPDX-License-Identifier: MIT OR Apache-2.0
//! Overrides: what operators put on reals at runtime (`ipvsctl drain`,
//! `disable`, `weight`; `enable` takes it off), who did it, when and why.
//! Kept in an [`OverrideStore`], so that they outlive reloads, restarts and
//! reboots; one for a real the configuration no longer has is dropped
//! (with a log line): a dormant override would surprise whoever brings the
//! real back months later.
//!
//! Every change goes through [`announce`], the one place that says
//! "drained/disabled/enabled/weight" (the log now; hooks later).

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::time::{SystemTime, UNIX_EPOCH};

use config::model::{Virtual, VirtualKey};
use config::Config;
use health::TargetKey;
use ipvs::ServiceKey;
use serde::{Deserialize, Serialize};
use tracing::{error, info};

use super::health_table::Hold;
use super::override_store::OverrideStore;
use super::protocol::Selection;
use crate::desired;

/// What an override does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Weight 0 while up.
    Drain,
    /// Out of the table.
    Disable,
    /// This weight while up.
    Weight(u32),
}

impl Action {
    /// Its place in the health rule.
    pub fn hold(self) -> Hold {
        match self {
            Self::Drain => Hold::Drain,
            Self::Disable => Hold::Disable,
            Self::Weight(weight) => Hold::Weight(weight),
        }
    }

    /// `drain`, `disable`, `weight`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Drain => "drain",
            Self::Disable => "disable",
            Self::Weight(_) => "weight",
        }
    }
}

/// One override on one real of one virtual.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    /// What it does.
    pub action: Action,
    /// Who asked (a user name, or `uid N`).
    pub who: String,
    /// Since when (seconds since the epoch).
    pub since_unix: u64,
    /// Why, if said.
    pub reason: Option<String>,
}

/// The overrides in force, and their file.
#[derive(Debug)]
pub struct Overrides {
    entries: BTreeMap<TargetKey<ServiceKey>, Override>,
    store: OverrideStore,
}

/// What [`announce`] is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// `drain`.
    Drained,
    /// `disable`.
    Disabled,
    /// `enable`.
    Enabled,
    /// `weight N`.
    Weight(u32),
}

/// The log line of an override's change (its hook event is `overriding::override_event`).
pub fn announce(event: Event, key: &TargetKey<ServiceKey>, who: &str, reason: Option<&str>) {
    let real = ipvs::net::socket_text(&key.real.ip(), key.real.port());
    let what = match event {
        Event::Drained => "drained".to_string(),
        Event::Disabled => "disabled".to_string(),
        Event::Enabled => "enabled".to_string(),
        Event::Weight(weight) => format!("weight {weight}"),
    };
    let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
    info!("real {real} of {} {what} by {who}{why}", key.service);
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Overrides {
    /// The overrides kept in `store`; none, with an error logged, when it
    /// cannot be read (the file is left for the operator to look at until
    /// the next change replaces it).
    pub fn load(store: OverrideStore) -> Self {
        let entries = match store.load() {
            Ok(entries) => entries.into_iter().collect(),
            Err(e) => {
                // Kept aside, so that the next change, which rewrites the
                // file, does not lose what the operator had set.
                let aside = store
                    .path()
                    .with_extension(format!("json.bad-{}", now_unix()));
                match std::fs::rename(store.path(), &aside) {
                    Ok(()) => error!(
                        "overrides: {e:#}; going on without them (the file is kept as {})",
                        aside.display()
                    ),
                    Err(_) => error!("overrides: {e:#}; going on without them"),
                }
                BTreeMap::new()
            }
        };
        let overrides = Self { entries, store };
        for (key, o) in &overrides.entries {
            info!(
                "override kept: real {} of {}: {} by {}",
                ipvs::net::socket_text(&key.real.ip(), key.real.port()),
                key.service,
                describe(o.action),
                o.who
            );
        }
        overrides
    }

    /// Every override, by real.
    pub fn iter(&self) -> impl Iterator<Item = (&TargetKey<ServiceKey>, &Override)> {
        self.entries.iter()
    }

    /// The override on that real, if any.
    pub fn get(&self, key: &TargetKey<ServiceKey>) -> Option<&Override> {
        self.entries.get(key)
    }

    /// The holds of a virtual's reals.
    pub fn holds(&self, service: &ServiceKey) -> HashMap<SocketAddr, Hold> {
        self.entries
            .iter()
            .filter(|(k, _)| k.service == *service)
            .map(|(k, o)| (k.real, o.action.hold()))
            .collect()
    }

    /// Puts `action` on every key (`None`: takes the override off), says
    /// so, and saves the file (an error saving is logged: the override
    /// holds until the daemon stops).
    pub fn set(
        &mut self,
        keys: &[TargetKey<ServiceKey>],
        action: Option<Action>,
        who: &str,
        reason: Option<&str>,
    ) {
        for key in keys {
            match action {
                Some(action) => {
                    self.entries.insert(
                        key.clone(),
                        Override {
                            action,
                            who: who.to_string(),
                            since_unix: now_unix(),
                            reason: reason.map(str::to_string),
                        },
                    );
                }
                None => {
                    self.entries.remove(key);
                }
            }
            let event = match action {
                Some(Action::Drain) => Event::Drained,
                Some(Action::Disable) => Event::Disabled,
                Some(Action::Weight(weight)) => Event::Weight(weight),
                None => Event::Enabled,
            };
            announce(event, key, who, reason);
        }
        self.save();
    }

    /// Drops the overrides of reals the configuration no longer has.
    pub fn keep_only(&mut self, config: &Config) {
        let before = self.entries.len();
        self.entries.retain(|key, o| {
            let kept = config.virtuals.iter().any(|v| {
                desired::service_key(&v.key) == key.service
                    && v.reals.iter().any(|r| r.address == key.real)
            });
            if !kept {
                info!(
                    "override dropped: real {} of {} ({} by {}) is no longer in the configuration",
                    ipvs::net::socket_text(&key.real.ip(), key.real.port()),
                    key.service,
                    describe(o.action),
                    o.who
                );
            }
            kept
        });
        if self.entries.len() != before {
            self.save();
        }
    }

    fn save(&self) {
        if let Err(e) = self.store.save(&self.entries) {
            error!("overrides: {e:#}; they hold until the daemon stops");
        }
    }
}

fn describe(action: Action) -> String {
    match action {
        Action::Weight(weight) => format!("weight {weight}"),
        other => other.name().to_string(),
    }
}

/// The reals a selection names: `IP` in every virtual that has it, or
/// `IP:PORT`; `--virtual` narrows. An error names what exists.
pub fn select(
    config: &Config,
    selection: &Selection,
) -> Result<Vec<TargetKey<ServiceKey>>, String> {
    let real = selection.real.trim();
    let named = |address: SocketAddr| match real.parse::<SocketAddr>() {
        Ok(socket) => socket == address,
        Err(_) => real.parse::<IpAddr>() == Ok(address.ip()),
    };
    if real.parse::<SocketAddr>().is_err() && real.parse::<IpAddr>().is_err() {
        return Err(format!("`{real}` is not a real's address (IP or IP:PORT)"));
    }
    let virtuals: Vec<&Virtual> = match &selection.virtual_ {
        None => config.virtuals.iter().collect(),
        Some(name) => {
            let found: Vec<&Virtual> = config
                .virtuals
                .iter()
                .filter(|v| virtual_named(v, name))
                .collect();
            if found.is_empty() {
                let known: Vec<String> = config.virtuals.iter().map(virtual_text).collect();
                return Err(format!(
                    "no virtual service `{name}`; the virtuals are: {}",
                    list(&known)
                ));
            }
            found
        }
    };
    let mut keys = Vec::new();
    for v in &virtuals {
        let service = desired::service_key(&v.key);
        for r in v.reals.iter().filter(|r| named(r.address)) {
            keys.push(TargetKey {
                service,
                real: r.address,
            });
        }
    }
    if keys.is_empty() {
        let mut known: Vec<String> = virtuals
            .iter()
            .flat_map(|v| &v.reals)
            .map(|r| ipvs::net::socket_text(&r.address.ip(), r.address.port()))
            .collect();
        known.dedup();
        let within = selection
            .virtual_
            .as_ref()
            .map(|v| format!(" in `{v}`"))
            .unwrap_or_default();
        return Err(format!(
            "no real `{real}`{within}; the reals are: {}",
            list(&known)
        ));
    }
    Ok(keys)
}

/// Whether `name` is the virtual's name, `IP:PORT`, or its key as `list`
/// prints it (`tcp 10.0.0.1:80`, `fwmark 7`).
fn virtual_named(v: &Virtual, name: &str) -> bool {
    let name = name.trim();
    v.name.as_deref() == Some(name)
        || desired::service_key(&v.key).to_string() == name
        || matches!(v.key, VirtualKey::Address { address, .. }
            if name.parse::<SocketAddr>() == Ok(address))
}

fn virtual_text(v: &Virtual) -> String {
    let key = desired::service_key(&v.key).to_string();
    match &v.name {
        Some(name) => format!("{name} ({key})"),
        None => key,
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = r#"
[[virtual]]
name = "www"
address = "10.0.0.1:80"
check = { type = "connect" }
  [[virtual.real]]
  address = "10.0.0.11:80"
  [[virtual.real]]
  address = "10.0.0.12:80"

[[virtual]]
address = "10.0.0.1:443"
check = { type = "connect" }
  [[virtual.real]]
  address = "10.0.0.11:443"

[[virtual]]
fwmark = 7
check = { type = "connect", port = 80 }
  [[virtual.real]]
  address = "10.0.0.11"
"#;

    fn config() -> Config {
        // A folder per call: tests run in parallel.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("ipvsctl-select-{}-{call}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("site.toml");
        std::fs::write(&path, SITE).unwrap();
        let config = config::load(&[path]).unwrap().config;
        let _ = std::fs::remove_dir_all(&dir);
        config
    }

    fn selection(real: &str, virtual_: Option<&str>) -> Selection {
        Selection {
            real: real.to_string(),
            virtual_: virtual_.map(str::to_string),
            reason: None,
        }
    }

    fn texts(keys: &[TargetKey<ServiceKey>]) -> Vec<String> {
        keys.iter()
            .map(|k| format!("{} {}", k.service, k.real))
            .collect()
    }

    #[test]
    fn an_address_takes_the_real_in_every_virtual() {
        let config = config();
        assert_eq!(
            texts(&select(&config, &selection("10.0.0.11", None)).unwrap()),
            [
                "tcp 10.0.0.1:80 10.0.0.11:80",
                "tcp 10.0.0.1:443 10.0.0.11:443",
                "fwmark 7 10.0.0.11:0"
            ]
        );
        assert_eq!(
            texts(&select(&config, &selection("10.0.0.11:443", None)).unwrap()),
            ["tcp 10.0.0.1:443 10.0.0.11:443"]
        );
    }

    #[test]
    fn virtual_narrows_by_name_address_or_key() {
        let config = config();
        for name in ["www", "10.0.0.1:80", "tcp 10.0.0.1:80"] {
            assert_eq!(
                texts(&select(&config, &selection("10.0.0.11", Some(name))).unwrap()),
                ["tcp 10.0.0.1:80 10.0.0.11:80"],
                "{name}"
            );
        }
        assert_eq!(
            texts(&select(&config, &selection("10.0.0.11", Some("fwmark 7"))).unwrap()),
            ["fwmark 7 10.0.0.11:0"]
        );
    }

    #[test]
    fn what_names_nothing_is_refused_naming_what_exists() {
        let config = config();
        assert_eq!(
            select(&config, &selection("10.0.0.13", None)).unwrap_err(),
            "no real `10.0.0.13`; the reals are: 10.0.0.11:80, 10.0.0.12:80, 10.0.0.11:443, 10.0.0.11:0"
        );
        assert_eq!(
            select(&config, &selection("10.0.0.12", Some("fwmark 7"))).unwrap_err(),
            "no real `10.0.0.12` in `fwmark 7`; the reals are: 10.0.0.11:0"
        );
        assert_eq!(
            select(&config, &selection("10.0.0.11", Some("mail"))).unwrap_err(),
            "no virtual service `mail`; the virtuals are: www (tcp 10.0.0.1:80), tcp 10.0.0.1:443, fwmark 7"
        );
        assert_eq!(
            select(&config, &selection("web1", None)).unwrap_err(),
            "`web1` is not a real's address (IP or IP:PORT)"
        );
    }

    #[test]
    fn overrides_read_back_from_their_file() {
        let dir = std::env::temp_dir().join(format!("ipvsctl-overrides-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = OverrideStore::at(dir.join("overrides.json"));
        let mut overrides = Overrides::load(store.clone());
        let config = config();
        let keys = select(&config, &selection("10.0.0.11", None)).unwrap();
        overrides.set(
            &keys[..1],
            Some(Action::Drain),
            "alice",
            Some("kernel update"),
        );
        overrides.set(&keys[1..], Some(Action::Weight(5)), "root", None);
        overrides.set(&keys[2..], None, "root", None);
        let again = Overrides::load(store.clone());
        assert_eq!(again.entries, overrides.entries);
        assert_eq!(again.entries.len(), 2);
        let drained = again.get(&keys[0]).unwrap();
        assert_eq!(drained.action, Action::Drain);
        assert_eq!(drained.who, "alice");
        assert_eq!(drained.reason.as_deref(), Some("kernel update"));
        assert_eq!(
            again.holds(&keys[1].service),
            HashMap::from([(keys[1].real, Hold::Weight(5))])
        );
        // A corrupt file: no overrides, and the daemon goes on; the file is
        // kept aside for the operator, not overwritten by the next change.
        std::fs::write(store.path(), "{ not json").unwrap();
        assert!(store.load().is_err());
        assert!(Overrides::load(store.clone()).entries.is_empty());
        assert!(!store.path().exists());
        let aside: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("overrides.json.bad-"))
            .collect();
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert_eq!(
            std::fs::read_to_string(dir.join(&aside[0])).unwrap(),
            "{ not json"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn overrides_of_reals_gone_from_the_configuration_are_dropped() {
        let dir = std::env::temp_dir().join(format!("ipvsctl-dropped-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = OverrideStore::at(dir.join("overrides.json"));
        let mut overrides = Overrides::load(store.clone());
        let mut config = config();
        let keys = select(&config, &selection("10.0.0.11", None)).unwrap();
        overrides.set(&keys, Some(Action::Disable), "root", None);
        config.virtuals.remove(1);
        overrides.keep_only(&config);
        let kept: Vec<_> = Overrides::load(store).entries.into_keys().collect();
        assert_eq!(kept, [keys[0].clone(), keys[2].clone()]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
