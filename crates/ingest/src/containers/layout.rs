//! Mail folder layouts: Maildir (`cur/`, `new/`, `tmp/`, flags in the file name) and Zimbra
//! stores (`<mailbox>/msg/<n>/<item>-<revision>.msg`). They are folders, not files, so the
//! producer walks them like any folder and records no container item for them; what the
//! layout says about a file (its folder, its Maildir flags, its Zimbra ids, that it is a
//! message whatever its content looks like) is read from its path here. The path parsing
//! itself is `trove_formats::layout`.

use trove_formats::layout::{maildir_flags, maildir_folder, zimbra_path};
use trove_formats::sniff::Format;

/// Content decides formats; where content is ambiguous (plain text, HTML), the location or
/// name breaks the tie: a file in a Maildir's `cur/`/`new/`/`tmp/` is a message by
/// definition, and so is text named `.eml`. Such a message without headers is stored and
/// flagged, not turned into a document.
pub fn refine_format(format: Format, rel: &str) -> Format {
    if !matches!(format, Format::Text | Format::Html) {
        return format;
    }
    let lower = rel.to_ascii_lowercase();
    let named = [".eml", ".emlx", ".mai", ".email"]
        .iter()
        .any(|s| lower.ends_with(s));
    if named || maildir_folder(rel).is_some() {
        Format::Message
    } else {
        format
    }
}

/// Folder and Maildir flags of an item from its path relative to the input root (or to its
/// innermost container).
pub fn folder_and_flags(rel: &str) -> (Option<String>, Option<String>) {
    let name = rel.rsplit(['/', '\\']).next().unwrap_or(rel);
    if let Some((root, folder)) = maildir_folder(rel) {
        let folder = if root.is_empty() {
            folder
        } else {
            format!("{root}/{folder}")
        };
        return (Some(folder), maildir_flags(name));
    }
    if let Some(z) = zimbra_path(rel) {
        return (Some(format!("zimbra mailbox {}", z.mailbox)), None);
    }
    let dir = rel
        .rfind(['/', '\\'])
        .map(|p| &rel[..p])
        .filter(|d| !d.is_empty());
    (dir.map(str::to_owned), None)
}

/// The metadata of a file in a Zimbra store: its mailbox, item id and revision.
pub fn zimbra_meta(rel: &str) -> Option<serde_json::Value> {
    zimbra_path(rel).map(|z| serde_json::json!({ "zimbra": { "mailbox": z.mailbox, "item": z.item, "revision": z.revision } }))
}
