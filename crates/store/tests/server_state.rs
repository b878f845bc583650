//! The web server's storage operations, written once against the [`ServerStore`] trait and run
//! on the SQLite implementation in a temporary folder; then tags and notes on a real case
//! catalog.

use serde_json::json;
use trove_store::annotations::{self, NoteFilter};
use trove_store::server_state::{AuditFilter, NewAudit, Role, ServerStore, SqliteServerStore};
use trove_store::{Case, StoreError};

const T0: i64 = 1_700_000_000;

fn suite(s: &dyn ServerStore) -> Result<(), StoreError> {
    users(s)?;
    sessions(s)?;
    grants(s)?;
    audit(s)?;
    Ok(())
}

fn users(s: &dyn ServerStore) -> Result<(), StoreError> {
    assert!(s.users()?.is_empty());
    assert!(s.create_user("zoe", "$argon2id$hash-z", Role::Reporter)?);
    assert!(s.create_user("ana", "$argon2id$hash-a", Role::Admin)?);
    // A taken name changes nothing.
    assert!(!s.create_user("zoe", "$argon2id$other", Role::Viewer)?);

    let all = s.users()?;
    let names: Vec<&str> = all.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["ana", "zoe"], "users are listed by name");
    let zoe = s.user("zoe")?.ok_or(StoreError::NotFound("zoe".into()))?;
    assert_eq!(zoe.role, Role::Reporter);
    assert!(!zoe.disabled);
    assert!(zoe.grants.is_empty());
    assert!(!zoe.created_at.is_empty());
    assert_ne!(zoe.id, all[0].id);
    assert_eq!(s.user("nobody")?, None);

    // The hash is stored as given, with the account's id.
    let c = s
        .credentials("zoe")?
        .ok_or(StoreError::NotFound("zoe".into()))?;
    assert_eq!(c.password_hash, "$argon2id$hash-z");
    assert_eq!(c.user_id, zoe.id);
    assert!(!c.disabled);
    assert_eq!(s.credentials("nobody")?, None);

    assert!(s.set_password_hash("zoe", "$argon2id$hash-z2")?);
    assert_eq!(
        s.credentials("zoe")?.map(|c| c.password_hash).as_deref(),
        Some("$argon2id$hash-z2")
    );
    assert!(!s.set_password_hash("nobody", "x")?);

    assert!(s.set_role("zoe", Role::Viewer)?);
    assert_eq!(s.user("zoe")?.map(|u| u.role), Some(Role::Viewer));
    assert!(!s.set_role("nobody", Role::Admin)?);

    assert!(s.set_disabled("zoe", true)?);
    assert_eq!(s.user("zoe")?.map(|u| u.disabled), Some(true));
    assert_eq!(s.credentials("zoe")?.map(|c| c.disabled), Some(true));
    assert!(s.set_disabled("zoe", false)?);
    assert_eq!(s.user("zoe")?.map(|u| u.disabled), Some(false));
    assert!(!s.set_disabled("nobody", true)?);
    Ok(())
}

fn sessions(s: &dyn ServerStore) -> Result<(), StoreError> {
    let ana = s.user("ana")?.ok_or(StoreError::NotFound("ana".into()))?;
    let zoe = s.user("zoe")?.ok_or(StoreError::NotFound("zoe".into()))?;
    s.create_session(ana.id, b"token-a", "csrf-a", T0, 100)?;
    s.create_session(zoe.id, b"token-z", "csrf-z", T0, 100)?;

    let live = s
        .session(b"token-a", T0 + 1)?
        .ok_or(StoreError::NotFound("session".into()))?;
    assert_eq!(live.user.name, "ana");
    assert_eq!(live.user.role, Role::Admin);
    assert_eq!(live.csrf, "csrf-a");
    assert_eq!(s.session(b"no-such-token", T0 + 1)?, None);

    // Expiry: live until its end, not at it.
    assert!(s.session(b"token-a", T0 + 99)?.is_some());
    assert_eq!(s.session(b"token-a", T0 + 100)?, None);

    // Ending one session leaves the other.
    s.end_session(b"token-a")?;
    assert_eq!(s.session(b"token-a", T0 + 1)?, None);
    assert!(s.session(b"token-z", T0 + 1)?.is_some());

    // Disabling an account ends its sessions; a new password too.
    s.set_disabled("zoe", true)?;
    s.set_disabled("zoe", false)?;
    assert_eq!(s.session(b"token-z", T0 + 1)?, None);
    s.create_session(zoe.id, b"token-z2", "csrf-z2", T0, 100)?;
    assert!(s.session(b"token-z2", T0 + 1)?.is_some());
    s.set_password_hash("zoe", "$argon2id$hash-z3")?;
    assert_eq!(s.session(b"token-z2", T0 + 1)?, None);

    // A disabled account's session is not live even if it was not ended.
    s.create_session(zoe.id, b"token-z3", "csrf-z3", T0, 100)?;
    s.set_disabled("zoe", true)?;
    assert_eq!(s.session(b"token-z3", T0 + 1)?, None);
    s.set_disabled("zoe", false)?;

    // A new session drops the ones expired by then.
    s.create_session(ana.id, b"token-old", "csrf-o", T0, 10)?;
    s.create_session(ana.id, b"token-new", "csrf-n", T0 + 1000, 10)?;
    assert_eq!(s.session(b"token-old", T0 + 1)?, None);
    assert!(s.session(b"token-new", T0 + 1001)?.is_some());
    Ok(())
}

fn grants(s: &dyn ServerStore) -> Result<(), StoreError> {
    assert!(s.set_grant("zoe", "sedena", true)?);
    assert!(s.set_grant("zoe", "ejercito", true)?);
    // Granting twice is one grant.
    assert!(s.set_grant("zoe", "sedena", true)?);
    assert_eq!(
        s.user("zoe")?.map(|u| u.grants),
        Some(vec!["ejercito".to_owned(), "sedena".to_owned()])
    );
    assert_eq!(s.user("ana")?.map(|u| u.grants), Some(vec![]));
    assert!(s.set_grant("zoe", "ejercito", false)?);
    assert!(s.set_grant("zoe", "ejercito", false)?);
    assert_eq!(
        s.user("zoe")?.map(|u| u.grants),
        Some(vec!["sedena".to_owned()])
    );
    assert!(!s.set_grant("nobody", "sedena", true)?);
    // Sessions carry the grants of their account.
    let zoe = s.user("zoe")?.ok_or(StoreError::NotFound("zoe".into()))?;
    s.create_session(zoe.id, b"token-g", "csrf-g", T0 + 2000, 100)?;
    assert_eq!(
        s.session(b"token-g", T0 + 2001)?.map(|x| x.user.grants),
        Some(vec!["sedena".to_owned()])
    );
    Ok(())
}

fn audit(s: &dyn ServerStore) -> Result<(), StoreError> {
    let records = [
        (Some("ana"), None, "login", json!({}), Some("10.0.0.1")),
        (
            Some("zoe"),
            Some("sedena"),
            "search",
            json!({ "q": "oro", "total": 3 }),
            None,
        ),
        (
            Some("ana"),
            Some("sedena"),
            "view",
            json!({ "item": 7 }),
            None,
        ),
        (None, None, "user-create", json!({ "name": "x" }), None),
    ];
    for (user, case, action, detail, ip) in &records {
        s.append_audit(&NewAudit {
            user: *user,
            case: *case,
            action,
            detail,
            ip: *ip,
        })?;
    }
    let all = s.audit_log(&AuditFilter {
        limit: 100,
        ..Default::default()
    })?;
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["user-create", "view", "search", "login"],
        "newest first"
    );
    assert!(all.windows(2).all(|w| w[0].id > w[1].id));
    let search = &all[2];
    assert_eq!(search.user.as_deref(), Some("zoe"));
    assert_eq!(search.case.as_deref(), Some("sedena"));
    assert_eq!(search.detail, Some(json!({ "q": "oro", "total": 3 })));
    assert_eq!(all[3].ip.as_deref(), Some("10.0.0.1"));
    assert!(all[3].at.ends_with('Z'));

    let by = |f: AuditFilter<'_>| -> Result<Vec<String>, StoreError> {
        Ok(s.audit_log(&AuditFilter { limit: 100, ..f })?
            .into_iter()
            .map(|e| e.action)
            .collect())
    };
    assert_eq!(
        by(AuditFilter {
            user: Some("ana"),
            ..Default::default()
        })?,
        ["view", "login"]
    );
    assert_eq!(
        by(AuditFilter {
            case: Some("sedena"),
            ..Default::default()
        })?,
        ["view", "search"]
    );
    assert_eq!(
        by(AuditFilter {
            action: Some("search"),
            ..Default::default()
        })?,
        ["search"]
    );
    assert_eq!(
        by(AuditFilter {
            before: Some(all[1].id),
            ..Default::default()
        })?,
        ["search", "login"]
    );
    let two = s.audit_log(&AuditFilter {
        limit: 2,
        ..Default::default()
    })?;
    assert_eq!(two.len(), 2);
    assert_eq!(two[0].action, "user-create");
    Ok(())
}

#[test]
fn sqlite_server_store() -> Result<(), StoreError> {
    let dir = tempfile::tempdir()?;
    let store = SqliteServerStore::open(dir.path())?;
    suite(&store)?;
    drop(store);
    // The same file is read again: accounts and the log outlive the process.
    assert!(dir.path().join("server.sqlite").is_file());
    let again = SqliteServerStore::open(dir.path())?;
    assert_eq!(again.users()?.len(), 2);
    assert_eq!(
        again
            .audit_log(&AuditFilter {
                limit: 10,
                ..Default::default()
            })?
            .len(),
        4
    );
    Ok(())
}

#[test]
fn tags_and_notes() -> Result<(), StoreError> {
    let dir = tempfile::tempdir()?;
    let case = Case::init(&dir.path().join("case"))?;
    let cat = case.catalog()?;
    let (k1, k2) = (b"key-one".as_slice(), b"key-two".as_slice());

    assert_eq!(annotations::content_key(&cat, 12345)?, None);
    assert!(annotations::tags(&cat, k1)?.is_empty());

    annotations::add_tag(&cat, k1, "money", "ana", "2026-01-01T00:00:00.000Z")?;
    annotations::add_tag(&cat, k1, "army", "zoe", "2026-01-02T00:00:00.000Z")?;
    // The same tag again changes nothing (the first author and time stay).
    annotations::add_tag(&cat, k1, "money", "zoe", "2026-01-03T00:00:00.000Z")?;
    annotations::add_tag(&cat, k2, "money", "zoe", "2026-01-04T00:00:00.000Z")?;

    let t = annotations::tags(&cat, k1)?;
    let names: Vec<&str> = t.iter().map(|t| t.tag.as_str()).collect();
    assert_eq!(names, ["army", "money"]);
    assert_eq!(t[1].author.as_deref(), Some("ana"));
    assert_eq!(t[1].at, "2026-01-01T00:00:00.000Z");

    let counts = annotations::tag_counts(&cat)?;
    assert_eq!(counts.len(), 2);
    assert_eq!(
        (counts[0].tag.as_str(), counts[0].count),
        ("money", 2),
        "most used first"
    );
    assert_eq!(counts[0].last_at, "2026-01-04T00:00:00.000Z");
    assert_eq!((counts[1].tag.as_str(), counts[1].count), ("army", 1));

    assert!(annotations::remove_tag(&cat, k1, "money")?);
    assert!(!annotations::remove_tag(&cat, k1, "money")?);
    assert_eq!(annotations::tags(&cat, k1)?.len(), 1);
    assert_eq!(annotations::tags(&cat, k2)?.len(), 1);

    let n1 = annotations::add_note(&cat, k1, "ana", "2026-02-01T00:00:00.000Z", "first")?;
    let n2 = annotations::add_note(&cat, k2, "zoe", "2026-02-02T00:00:00.000Z", "second")?;
    let n3 = annotations::add_note(&cat, k1, "zoe", "2026-02-03T00:00:00.000Z", "third")?;
    assert!(n1 < n2 && n2 < n3);
    let on1 = annotations::notes(&cat, k1)?;
    let texts: Vec<&str> = on1.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(texts, ["first", "third"], "a message's notes oldest first");
    assert_eq!(on1[0].id, n1);
    assert_eq!(on1[0].author.as_deref(), Some("ana"));
    assert_eq!(on1[0].at, "2026-02-01T00:00:00.000Z");

    let list = |f: NoteFilter<'_>| -> Result<Vec<i64>, StoreError> {
        Ok(annotations::case_notes(&cat, &f)?
            .into_iter()
            .map(|n| n.id)
            .collect())
    };
    let all = annotations::case_notes(
        &cat,
        &NoteFilter {
            limit: 100,
            ..Default::default()
        },
    )?;
    assert_eq!(
        all.iter().map(|n| n.id).collect::<Vec<_>>(),
        [n3, n2, n1],
        "the case's notes newest first"
    );
    // No message carries these keys in this catalog.
    assert_eq!((all[0].item, all[0].subject.as_deref()), (None, None));
    assert_eq!(all[0].text, "third");
    assert_eq!(
        list(NoteFilter {
            author: Some("zoe"),
            limit: 100,
            ..Default::default()
        })?,
        [n3, n2]
    );
    assert_eq!(
        list(NoteFilter {
            before: Some(n3),
            limit: 100,
            ..Default::default()
        })?,
        [n2, n1]
    );
    assert_eq!(
        list(NoteFilter {
            limit: 1,
            ..Default::default()
        })?,
        [n3]
    );

    // Another connection sees them: they are in the catalog, not in memory.
    let other = case.reader()?;
    assert_eq!(annotations::notes(&other, k1)?.len(), 2);
    assert_eq!(annotations::tag_counts(&other)?.len(), 2);
    Ok(())
}
