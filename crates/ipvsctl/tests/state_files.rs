// SPDX-License-Identifier: MIT OR Apache-2.0
//! The ownership record and the override file, written the way a state
//! directory someone else can write into needs (issue 13, section 5): a
//! planted symlink is never followed, two saves at once never share a
//! temporary file, modes do not come from the umask.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use health::TargetKey;
use ipvs::ServiceKey;
use ipvsctl::daemon::overrides::{Action, Override};
use ipvsctl::daemon::OverrideStore;
use ipvsctl::record::Record;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ipvsctl-files-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn keys(n: u32) -> BTreeSet<ServiceKey> {
    (1..=n).map(ServiceKey::fwmark).collect()
}

fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

fn an_override(n: u32) -> (TargetKey<ServiceKey>, Override) {
    (
        TargetKey {
            service: ServiceKey::fwmark(n),
            real: "10.0.0.11:80".parse().unwrap(),
        },
        Override {
            action: Action::Weight(n),
            who: "root".to_string(),
            since_unix: 1,
            reason: None,
        },
    )
}

/// The symlinks an attacker who can write into the state directory plants:
/// at the name the old code used for its temporary file, and at the file's
/// own name. Each points at a file the save must not touch.
fn plant(dir: &Path, name: &str) -> [PathBuf; 2] {
    let victims = [dir.join("victim-temporary"), dir.join("victim-file")];
    for v in &victims {
        std::fs::write(v, "precious").unwrap();
    }
    let old_temporary = dir.join(Path::new(name).with_extension("tmp"));
    std::os::unix::fs::symlink(&victims[0], old_temporary).unwrap();
    std::os::unix::fs::symlink(&victims[1], dir.join(name)).unwrap();
    victims
}

#[test]
fn a_planted_symlink_in_the_state_directory_is_not_followed_by_the_record() {
    let dir = scratch("record-link");
    let victims = plant(&dir, "managed-1");
    let record = Record::at(dir.join("managed-1"));
    record.save(&keys(3)).unwrap();
    for v in &victims {
        assert_eq!(std::fs::read_to_string(v).unwrap(), "precious", "{v:?}");
    }
    assert_eq!(record.load(), Some(keys(3)));
    assert!(!std::fs::symlink_metadata(record.path())
        .unwrap()
        .is_symlink());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_planted_symlink_in_the_state_directory_is_not_followed_by_the_overrides() {
    let dir = scratch("overrides-link");
    let victims = plant(&dir, "overrides.json");
    let store = OverrideStore::at(dir.join("overrides.json"));
    let (key, what) = an_override(7);
    store.save([(&key, &what)]).unwrap();
    for v in &victims {
        assert_eq!(std::fs::read_to_string(v).unwrap(), "precious", "{v:?}");
    }
    assert_eq!(store.load().unwrap(), vec![(key, what)]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn concurrent_saves_of_the_record_each_write_a_whole_file() {
    let dir = scratch("record-concurrent");
    let path = dir.join("managed-1");
    let writers: Vec<_> = (1..=8u32)
        .map(|n| {
            let record = Record::at(path.clone());
            std::thread::spawn(move || {
                for _ in 0..50 {
                    record.save(&keys(n * 10)).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("every save succeeded");
    }
    let kept = Record::at(path).load().expect("a readable record");
    assert!(
        (1..=8).any(|n| kept == keys(n * 10)),
        "a mix of saves: {} keys",
        kept.len()
    );
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn concurrent_saves_of_the_overrides_each_write_a_whole_file() {
    let dir = scratch("overrides-concurrent");
    let path = dir.join("overrides.json");
    let writers: Vec<_> = (1..=8u32)
        .map(|n| {
            let store = OverrideStore::at(path.clone());
            std::thread::spawn(move || {
                let (key, what) = an_override(n);
                for _ in 0..50 {
                    store.save([(&key, &what)]).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("every save succeeded");
    }
    let kept = OverrideStore::at(path).load().expect("a whole file");
    assert_eq!(kept.len(), 1);
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn modes_are_set_explicitly_not_taken_from_the_umask() {
    // Only this test of this binary creates files under a changed umask;
    // the others do not look at modes.
    let old = unsafe { libc::umask(0) };
    let dir = scratch("modes");
    let record = Record::at(dir.join("run/ipvsctl/managed-1"));
    record.save(&keys(1)).unwrap();
    let store = OverrideStore::at(dir.join("lib/ipvsctl/overrides.json"));
    let (key, what) = an_override(1);
    store.save([(&key, &what)]).unwrap();
    unsafe { libc::umask(old) };
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    for file in [record.path(), store.path()] {
        assert_eq!(mode(file), 0o644, "{file:?}");
    }
    for d in ["run", "run/ipvsctl", "lib", "lib/ipvsctl"] {
        assert_eq!(mode(&dir.join(d)), 0o755, "{d}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
