//! Mailbox layouts on disk: Maildir/Maildir++ and Zimbra stores.

use std::path::Path;

/// A directory is a Maildir when it has `cur/` and `new/` or `tmp/`.
pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() && (dir.join("new").is_dir() || dir.join("tmp").is_dir())
}

/// Maildir flags of a message file name (`1234.M5P6.host:2,RS` → `RS`; `!2,` as written on
/// file systems that forbid colons). `None` when the name carries no info part.
pub fn maildir_flags(file_name: &str) -> Option<String> {
    let pos = file_name.rfind(":2,").or_else(|| file_name.rfind("!2,"))?;
    let flags: String = file_name[pos + 3..].chars().filter(char::is_ascii_alphabetic).collect();
    Some(flags)
}

/// Names a Maildir++ folder from the path of a message relative to the Maildir root:
/// `cur/x` → `INBOX`; `.Enviados/cur/x` → `Enviados`; `.Archivo.2019/new/x` → `Archivo/2019`.
/// Returns `None` when the path is not inside `cur/`, `new/` or `tmp/`.
pub fn maildir_folder(rel: &str) -> Option<String> {
    let parts: Vec<&str> = rel.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    let sub = parts.iter().rposition(|p| matches!(*p, "cur" | "new" | "tmp"))?;
    if sub + 2 != parts.len() {
        return None;
    }
    let folders = &parts[..sub];
    if folders.is_empty() {
        return Some("INBOX".into());
    }
    let name: Vec<String> = folders
        .iter()
        .map(|f| f.strip_prefix('.').unwrap_or(f).replace('.', "/"))
        .collect();
    Some(name.join("/"))
}

/// Where a file sits in a Zimbra message store:
/// `store/<n>/<mailbox>/msg/<n>/<item>-<revision>.msg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZimbraPath {
    pub mailbox: u64,
    pub item: u64,
    pub revision: u64,
}

/// Recognises a Zimbra store path (any prefix before `store/`).
pub fn zimbra_path(path: &str) -> Option<ZimbraPath> {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let n = parts.len();
    if n < 6 || parts[n - 3] != "msg" || parts[n - 6] != "store" {
        return None;
    }
    let file = parts[n - 1].strip_suffix(".msg")?;
    let (item, rev) = file.split_once('-')?;
    let num = |s: &str| s.parse::<u64>().ok();
    num(parts[n - 5])?;
    num(parts[n - 2])?;
    Some(ZimbraPath { mailbox: num(parts[n - 4])?, item: num(item)?, revision: num(rev)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maildir() {
        assert_eq!(maildir_flags("1325376000.M1P2.host:2,RS").as_deref(), Some("RS"));
        assert_eq!(maildir_flags("1325376000.M1P2.host!2,S").as_deref(), Some("S"));
        assert_eq!(maildir_flags("1325376000.M1P2.host:2,").as_deref(), Some(""));
        assert_eq!(maildir_flags("msg-1"), None);
        assert_eq!(maildir_folder("cur/1:2,S").as_deref(), Some("INBOX"));
        assert_eq!(maildir_folder(".Enviados/cur/1").as_deref(), Some("Enviados"));
        assert_eq!(maildir_folder(".Archivo.2019/new/1").as_deref(), Some("Archivo/2019"));
        assert_eq!(maildir_folder("notes/x.txt"), None);
    }

    #[test]
    fn zimbra() {
        assert_eq!(
            zimbra_path("/opt/zimbra/store/0/17/msg/0/281-2.msg"),
            Some(ZimbraPath { mailbox: 17, item: 281, revision: 2 })
        );
        assert_eq!(zimbra_path("store/0/17/msg/0/281.msg"), None);
        assert_eq!(zimbra_path("a/b/c.msg"), None);
    }
}
