//! Integration tests of the store, on real SQLite files in a temporary directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use parapet_store::{Consumer, KeyCheck, Origin, Store, StoreError};
use sha2::{Digest, Sha256};

fn consumer(id: &str) -> Consumer {
    Consumer {
        id: id.to_owned(),
        name: format!("Consumer {id}"),
        scopes: vec!["orders:read".into(), "orders:write".into()],
        roles: vec!["partner".into()],
        rate_plan: Some("gold".into()),
        metadata: BTreeMap::from([("team".into(), "billing".into())]),
        certificates: vec![],
        origin: Origin::Api,
    }
}

fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parapet.db");
    (dir, path)
}

fn open_with_consumer(path: &Path, id: &str) -> Store {
    let store = Store::open(path).unwrap();
    store.create_consumer(&consumer(id)).unwrap();
    store
}

#[test]
fn open_sets_path_and_wal() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.path(), Some(path.as_path()));
    assert!(Store::in_memory().unwrap().path().is_none());
    assert_eq!(journal_mode_from_header(&path), "wal");
}

/// Reads the journal mode from the file header: bytes 18 and 19 are 2 in WAL mode.
fn journal_mode_from_header(path: &Path) -> &'static str {
    let bytes = std::fs::read(path).unwrap();
    if bytes[18] == 2 && bytes[19] == 2 {
        "wal"
    } else {
        "rollback"
    }
}

#[test]
fn create_consumer_and_key_then_valid() {
    let (_dir, path) = temp_db();
    let store = open_with_consumer(&path, "acme");
    let new = store.create_key("acme", Some("ci"), None).unwrap();
    assert_eq!(new.record.consumer_id, "acme");
    assert_eq!(new.record.label.as_deref(), Some("ci"));
    assert!(new.record.revoked_at.is_none());

    match store.check_key(&new.secret, SystemTime::now()).unwrap() {
        KeyCheck::Valid { key, consumer: c } => {
            assert_eq!(key, new.record);
            assert_eq!(c, consumer("acme"));
        }
        other => panic!("expected Valid, got {other:?}"),
    }
}

#[test]
fn wrong_and_malformed_keys_are_unknown() {
    let (_dir, path) = temp_db();
    let store = open_with_consumer(&path, "acme");
    let new = store.create_key("acme", None, None).unwrap();
    let now = SystemTime::now();

    // Well-formed but different: change the last character.
    let mut wrong = new.secret.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(store.check_key(&wrong, now).unwrap(), KeyCheck::Unknown);

    let long = "pk_".to_owned() + &"a".repeat(1000);
    for malformed in [
        "",
        "pk_",
        "hello",
        &new.secret[..new.secret.len() - 1],
        &format!("{}=", new.secret),
        &format!("xk_{}", &new.secret[3..]),
        &format!("{}+/", &new.secret[..44]),
        "pk_ééééééééééééééééééééé",
        &long,
    ] {
        assert_eq!(
            store.check_key(malformed, now).unwrap(),
            KeyCheck::Unknown,
            "{malformed:?}"
        );
    }
}

#[test]
fn revoked_key_is_revoked() {
    let (_dir, path) = temp_db();
    let store = open_with_consumer(&path, "acme");
    let new = store.create_key("acme", None, None).unwrap();
    assert!(store.revoke_key(&new.record.id).unwrap());
    assert!(
        !store.revoke_key(&new.record.id).unwrap(),
        "already revoked"
    );
    assert!(
        !store.revoke_key("key_0000000000000000").unwrap(),
        "no such key"
    );
    assert_eq!(
        store.check_key(&new.secret, SystemTime::now()).unwrap(),
        KeyCheck::Revoked
    );
    let listed = store.keys(Some("acme")).unwrap();
    assert_eq!(listed.len(), 1, "revoked keys are kept for audit");
    assert!(listed[0].revoked_at.is_some());
}

#[test]
fn expired_key_is_expired_and_revoked_wins() {
    let (_dir, path) = temp_db();
    let store = open_with_consumer(&path, "acme");
    let expires = SystemTime::now() + Duration::from_secs(3600);
    let new = store.create_key("acme", None, Some(expires)).unwrap();

    let before = expires - Duration::from_secs(1);
    assert!(matches!(
        store.check_key(&new.secret, before).unwrap(),
        KeyCheck::Valid { .. }
    ));
    // expires_at <= now is expired: the boundary itself counts.
    let stored_expiry = new.record.expires_at.unwrap();
    assert_eq!(
        store.check_key(&new.secret, stored_expiry).unwrap(),
        KeyCheck::Expired
    );
    let after = expires + Duration::from_secs(1);
    assert_eq!(
        store.check_key(&new.secret, after).unwrap(),
        KeyCheck::Expired
    );

    store.revoke_key(&new.record.id).unwrap();
    assert_eq!(
        store.check_key(&new.secret, after).unwrap(),
        KeyCheck::Revoked
    );
}

#[test]
fn keys_survive_reopen() {
    let (_dir, path) = temp_db();
    let (secret, record) = {
        let store = open_with_consumer(&path, "acme");
        let new = store.create_key("acme", Some("prod"), None).unwrap();
        (new.secret, new.record)
    };
    let store = Store::open(&path).unwrap();
    assert_eq!(store.consumer("acme").unwrap(), Some(consumer("acme")));
    assert_eq!(store.keys(None).unwrap(), vec![record.clone()]);
    match store.check_key(&secret, SystemTime::now()).unwrap() {
        KeyCheck::Valid { key, .. } => assert_eq!(key, record),
        other => panic!("expected Valid, got {other:?}"),
    }
}

#[test]
fn revocation_is_seen_by_another_handle_immediately() {
    let (_dir, path) = temp_db();
    let replica_a = open_with_consumer(&path, "acme");
    let replica_b = Store::open(&path).unwrap();
    let new = replica_a.create_key("acme", None, None).unwrap();

    // B sees the new key, and has its statement cached.
    assert!(matches!(
        replica_b.check_key(&new.secret, SystemTime::now()).unwrap(),
        KeyCheck::Valid { .. }
    ));
    assert!(replica_a.revoke_key(&new.record.id).unwrap());
    assert_eq!(
        replica_b.check_key(&new.secret, SystemTime::now()).unwrap(),
        KeyCheck::Revoked
    );

    // And the other way round, for a deletion.
    let other = replica_a.create_key("acme", None, None).unwrap();
    assert!(replica_b.delete_consumer("acme").unwrap());
    assert_eq!(
        replica_a
            .check_key(&other.secret, SystemTime::now())
            .unwrap(),
        KeyCheck::Unknown
    );
}

#[test]
fn no_plaintext_secret_is_stored() {
    let (dir, path) = temp_db();
    let store = open_with_consumer(&path, "acme");
    let secrets: Vec<String> = (0..5)
        .map(|_| store.create_key("acme", None, None).unwrap().secret)
        .collect();

    // Query the table directly: the hash is there, the secret is not.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, consumer_id, hash, prefix, coalesce(label, '') FROM api_keys")
        .unwrap();
    let rows: Vec<(String, String, Vec<u8>, String, String)> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), secrets.len());
    for secret in &secrets {
        let digest = Sha256::digest(secret.as_bytes());
        assert!(
            rows.iter().any(|row| row.2 == digest.as_slice()),
            "SHA-256 stored"
        );
        for (id, consumer_id, hash, prefix, label) in &rows {
            for text in [id, consumer_id, prefix, label] {
                assert!(!text.contains(secret.as_str()) && !text.contains(&secret[10..]));
            }
            assert_ne!(hash.as_slice(), secret.as_bytes());
        }
    }
    drop(stmt);
    drop(conn);

    // Read every file SQLite wrote (database, WAL, shared memory), raw.
    let mut raw = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        raw.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let contains = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"acme"), "sanity: the files hold the data");
    for secret in &secrets {
        assert!(
            !contains(secret.as_bytes()),
            "secret found in the database files"
        );
        // Beyond the 10-character display prefix, not even a fragment.
        assert!(!contains(&secret.as_bytes()[10..]));
        assert!(!contains(&secret.as_bytes()[20..36]));
    }
    drop(store);
}

#[test]
fn delete_consumer_removes_its_keys() {
    let (_dir, path) = temp_db();
    let store = open_with_consumer(&path, "acme");
    store.create_consumer(&consumer("other")).unwrap();
    let doomed = store.create_key("acme", None, None).unwrap();
    store.create_key("acme", None, None).unwrap();
    let kept = store.create_key("other", None, None).unwrap();

    assert!(store.delete_consumer("acme").unwrap());
    assert!(!store.delete_consumer("acme").unwrap());
    assert_eq!(store.consumer("acme").unwrap(), None);
    assert!(store.keys(Some("acme")).unwrap().is_empty());
    assert_eq!(store.keys(None).unwrap(), vec![kept.record]);
    assert_eq!(
        store.check_key(&doomed.secret, SystemTime::now()).unwrap(),
        KeyCheck::Unknown
    );
}

#[test]
fn create_key_needs_an_existing_consumer() {
    let store = Store::in_memory().unwrap();
    assert!(matches!(
        store.create_key("ghost", None, None),
        Err(StoreError::NotFound)
    ));
    store.create_consumer(&consumer("acme")).unwrap();
    assert!(matches!(
        store.create_key("acme", Some(&"x".repeat(257)), None),
        Err(StoreError::Invalid(_))
    ));
}

#[test]
fn keys_are_sorted_and_filtered() {
    let store = Store::in_memory().unwrap();
    store.create_consumer(&consumer("a")).unwrap();
    store.create_consumer(&consumer("b")).unwrap();
    let mut created = Vec::new();
    for owner in ["a", "b", "a", "b", "a"] {
        created.push(store.create_key(owner, None, None).unwrap().record);
    }
    let mut expected = created.clone();
    expected.sort_by(|x, y| (x.created_at, &x.id).cmp(&(y.created_at, &y.id)));
    assert_eq!(store.keys(None).unwrap(), expected);
    let only_a = store.keys(Some("a")).unwrap();
    assert_eq!(only_a.len(), 3);
    assert!(only_a.iter().all(|k| k.consumer_id == "a"));
    assert!(store.keys(Some("nobody")).unwrap().is_empty());
}

#[test]
fn consumer_by_certificate_matches_exact_names() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).unwrap();
    let mut partner = consumer("partner");
    partner.certificates = vec![
        "CN=partner.example,O=Partner".into(),
        "partner.example".into(),
    ];
    store.create_consumer(&partner).unwrap();
    store.create_consumer(&consumer("plain")).unwrap();

    let found = store
        .consumer_by_certificate(&["CN=unrelated", "partner.example"])
        .unwrap();
    assert_eq!(found, Some(partner.clone()));
    assert_eq!(
        store
            .consumer_by_certificate(&["CN=partner.example,O=Partner", "partner.example"])
            .unwrap(),
        Some(partner.clone())
    );
    assert_eq!(
        store.consumer_by_certificate(&["PARTNER.EXAMPLE"]).unwrap(),
        None,
        "exact match only"
    );
    assert_eq!(store.consumer_by_certificate(&[]).unwrap(), None);

    // A name identifies at most one consumer.
    let mut thief = consumer("thief");
    thief.certificates = vec!["partner.example".into()];
    assert!(matches!(
        store.create_consumer(&thief),
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.consumer("thief").unwrap(), None, "nothing written");

    // Names matching two different consumers: refused, not guessed.
    let mut other = consumer("other");
    other.certificates = vec!["other.example".into()];
    store.create_consumer(&other).unwrap();
    assert!(matches!(
        store.consumer_by_certificate(&["partner.example", "other.example"]),
        Err(StoreError::Invalid(_))
    ));

    // Deleting the consumer frees its names.
    store.delete_consumer("partner").unwrap();
    assert_eq!(
        store.consumer_by_certificate(&["partner.example"]).unwrap(),
        None
    );
    store.create_consumer(&thief).unwrap();
    assert_eq!(
        store.consumer_by_certificate(&["partner.example"]).unwrap(),
        Some(thief)
    );
}

#[test]
fn put_consumer_replaces_and_keeps_keys() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).unwrap();
    let mut c = consumer("svc");
    c.certificates = vec!["old.example".into()];
    store.put_consumer(&c, Origin::Config).unwrap();
    let stored = store.consumer("svc").unwrap().unwrap();
    assert_eq!(
        stored.origin,
        Origin::Config,
        "origin comes from the argument"
    );
    let key = store.create_key("svc", None, None).unwrap();

    let replacement = Consumer {
        id: "svc".into(),
        name: "Renamed".into(),
        scopes: vec!["x".into()],
        roles: vec![],
        rate_plan: None,
        metadata: BTreeMap::new(),
        certificates: vec!["new.example".into()],
        origin: Origin::Api,
    };
    store.put_consumer(&replacement, Origin::Config).unwrap();
    let stored = store.consumer("svc").unwrap().unwrap();
    assert_eq!(
        stored,
        Consumer {
            origin: Origin::Config,
            ..replacement.clone()
        }
    );
    assert_eq!(store.consumers().unwrap().len(), 1);
    assert_eq!(
        store.consumer_by_certificate(&["old.example"]).unwrap(),
        None
    );
    assert_eq!(
        store.consumer_by_certificate(&["new.example"]).unwrap(),
        Some(stored.clone())
    );
    match store.check_key(&key.secret, SystemTime::now()).unwrap() {
        KeyCheck::Valid { consumer, .. } => assert_eq!(consumer, stored),
        other => panic!("the key must survive a replace, got {other:?}"),
    }

    // create_consumer refuses a taken id; put_consumer does not.
    assert!(matches!(
        store.create_consumer(&replacement),
        Err(StoreError::Exists)
    ));
}

#[test]
fn sync_config_consumers_replaces_the_config_set() {
    let store = Store::in_memory().unwrap();
    let mut a = consumer("a");
    a.certificates = vec!["moving.example".into()];
    let b = consumer("b");
    store
        .sync_config_consumers(&[a.clone(), b.clone()])
        .unwrap();
    store.create_consumer(&consumer("api-made")).unwrap();

    // The certificate moves from a to b, and a leaves the config.
    let mut b2 = b.clone();
    b2.certificates = vec!["moving.example".into()];
    let removed = store.sync_config_consumers(&[b2.clone()]).unwrap();
    assert_eq!(removed, vec!["a".to_owned()]);
    let ids: Vec<String> = store
        .consumers()
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["api-made", "b"]);
    assert_eq!(
        store
            .consumer_by_certificate(&["moving.example"])
            .unwrap()
            .map(|c| c.id),
        Some("b".into())
    );

    // Duplicates refused, and nothing changes on error.
    assert!(matches!(
        store.sync_config_consumers(&[b2.clone(), b2.clone()]),
        Err(StoreError::Invalid(_))
    ));
    let mut bad = consumer("c");
    bad.id = "bad id".into();
    assert!(store.sync_config_consumers(&[bad]).is_err());
    assert_eq!(store.consumers().unwrap().len(), 2);
}

#[test]
fn invalid_consumers_are_refused() {
    let store = Store::in_memory().unwrap();
    let long_id = "a".repeat(129);
    for id in [
        "",
        "has space",
        "slash/",
        "ünïcode",
        long_id.as_str(),
        "tab\t",
    ] {
        let mut c = consumer("x");
        c.id = id.to_owned();
        let err = store.create_consumer(&c).unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{id:?}: {err}");
        assert!(matches!(
            store.put_consumer(&c, Origin::Config),
            Err(StoreError::Invalid(_))
        ));
    }
    let mut c = consumer("ok.id-1_@x:y");
    store.create_consumer(&c).unwrap();

    c.id = "other".into();
    for (field, mutate) in [
        (
            "empty name",
            Box::new(|c: &mut Consumer| c.name.clear()) as Box<dyn Fn(&mut Consumer)>,
        ),
        (
            "long name",
            Box::new(|c: &mut Consumer| c.name = "n".repeat(257)),
        ),
        (
            "empty scope",
            Box::new(|c: &mut Consumer| c.scopes.push(String::new())),
        ),
        (
            "spaced scope",
            Box::new(|c: &mut Consumer| c.scopes.push("a b".into())),
        ),
        (
            "spaced role",
            Box::new(|c: &mut Consumer| c.roles.push("admin\n".into())),
        ),
    ] {
        let mut bad = c.clone();
        mutate(&mut bad);
        assert!(
            matches!(store.create_consumer(&bad), Err(StoreError::Invalid(_))),
            "{field}"
        );
    }
    assert_eq!(store.consumers().unwrap().len(), 1);
}

#[test]
fn secret_format_and_entropy() {
    let store = Store::in_memory().unwrap();
    store.create_consumer(&consumer("acme")).unwrap();
    let mut seen = HashSet::new();
    for _ in 0..64 {
        let new = store.create_key("acme", None, None).unwrap();
        let secret = &new.secret;
        assert!(secret.starts_with("pk_"), "{}", new.record.prefix);
        assert_eq!(secret.len(), 46);
        let random = URL_SAFE_NO_PAD.decode(&secret[3..]).unwrap();
        assert!(random.len() * 8 >= 128, "at least 128 bits of entropy");
        assert_eq!(random.len(), 32);
        assert_eq!(new.record.prefix, secret[..10]);
        assert!(new.record.id.starts_with("key_") && new.record.id.len() == 20);
        assert!(new.record.id[4..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(seen.insert(random), "secrets never repeat");
    }
    assert_eq!(store.keys(None).unwrap().len(), 64);
}

#[test]
fn records_serialise_with_unix_seconds() {
    let store = Store::in_memory().unwrap();
    store.create_consumer(&consumer("acme")).unwrap();
    let expires = UNIX_EPOCH + Duration::from_secs(4_000_000_000);
    let new = store.create_key("acme", None, Some(expires)).unwrap();
    let json = serde_json::to_value(&new.record).unwrap();
    assert_eq!(json["expires_at"], 4_000_000_000u64);
    assert!(json["created_at"].is_u64());
    assert!(json["revoked_at"].is_null());
    assert!(json.get("secret").is_none());

    let c = serde_json::to_value(consumer("acme")).unwrap();
    assert_eq!(c["origin"], "api");
}
