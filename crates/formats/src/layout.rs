//! Mailbox layouts on disk: Maildir/Maildir++ and Zimbra stores.

use std::path::Path;

/// A directory is a Maildir when it has `cur/` and `new/` or `tmp/`.
pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() && (dir.join("new").is_dir() || dir.join("tmp").is_dir())
}

/// Maildir flags of a message file name (`1234.M5P6.host:2,RS` → `RS`; `!2,` and `;2,` as
/// written on file systems that forbid colons). Lower-case letters are Dovecot keywords and
/// kept. `None` when the name carries no info part.
pub fn maildir_flags(file_name: &str) -> Option<String> {
    let pos = [":2,", "!2,", ";2,"]
        .iter()
        .filter_map(|sep| file_name.rfind(sep))
        .max()?;
    let flags: String = file_name[pos + 3..]
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect();
    Some(flags)
}

/// Names the Maildir++ folder of a message from its path (relative to anything above the
/// Maildir): returns the Maildir's own path and the folder name. `juan/cur/x` → (`juan`,
/// `INBOX`); `juan/.Enviados/cur/x` → (`juan`, `Enviados`); `.Archivo.2019/new/x` → (``,
/// `Archivo/2019`). `None` when the path is not inside `cur/`, `new/` or `tmp/`.
pub fn maildir_folder(rel: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = rel.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    let sub = parts
        .iter()
        .rposition(|p| matches!(*p, "cur" | "new" | "tmp"))?;
    if sub + 2 != parts.len() {
        return None;
    }
    let dirs = &parts[..sub];
    match dirs.last() {
        Some(last) if last.starts_with('.') && last.len() > 1 => {
            let folder = last[1..].replace('.', "/");
            Some((dirs[..dirs.len() - 1].join("/"), folder))
        }
        _ => Some((dirs.join("/"), "INBOX".into())),
    }
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
    Some(ZimbraPath {
        mailbox: num(parts[n - 4])?,
        item: num(item)?,
        revision: num(rev)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maildir() {
        assert_eq!(
            maildir_flags("1325376000.M1P2.host:2,RS").as_deref(),
            Some("RS")
        );
        assert_eq!(
            maildir_flags("1325376000.M1P2.host!2,S").as_deref(),
            Some("S")
        );
        assert_eq!(
            maildir_flags("1325376000.M1P2.host:2,").as_deref(),
            Some("")
        );
        assert_eq!(
            maildir_flags("1276533073.M242911P3632.kurkku;2,FP").as_deref(),
            Some("FP")
        );
        assert_eq!(maildir_flags("msg-1"), None);
        let f = |p: &str| maildir_folder(p).map(|(r, f)| format!("{r}|{f}"));
        assert_eq!(f("cur/1:2,S").as_deref(), Some("|INBOX"));
        assert_eq!(f("dump/juan/cur/1:2,S").as_deref(), Some("dump/juan|INBOX"));
        assert_eq!(f("juan/.Enviados/cur/1").as_deref(), Some("juan|Enviados"));
        assert_eq!(f(".Archivo.2019/new/1").as_deref(), Some("|Archivo/2019"));
        assert_eq!(f("notes/x.txt"), None);
    }

    #[test]
    fn zimbra() {
        assert_eq!(
            zimbra_path("/opt/zimbra/store/0/17/msg/0/281-2.msg"),
            Some(ZimbraPath {
                mailbox: 17,
                item: 281,
                revision: 2
            })
        );
        assert_eq!(zimbra_path("store/0/17/msg/0/281.msg"), None);
        assert_eq!(zimbra_path("a/b/c.msg"), None);
    }
}
