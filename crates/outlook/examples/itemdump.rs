//! Converts a .msg or TNEF file to RFC 5322 on stdout: `cargo run --example itemdump -- x.msg`.
use std::io::Write;

fn main() {
    let path = std::env::args().nth(1).expect("a path");
    let bytes = std::fs::read(&path).expect("read");
    let limits = trove_outlook::Limits::default();
    let item = if trove_outlook::tnef::is_tnef(&bytes) {
        trove_outlook::tnef::read_tnef(&bytes, &limits)
    } else {
        trove_outlook::msg::read_msg(std::io::Cursor::new(&bytes), &limits)
    };
    match item {
        Ok(it) => {
            eprintln!(
                "class={} kind={:?} subject={:?} atts={} rcpts={} problems={:?}",
                it.message_class(),
                it.kind(),
                it.subject(),
                it.attachment_count(),
                it.recipients.len(),
                it.problems
            );
            for a in &it.attachments {
                let n = match &a.content {
                    trove_outlook::AttachContent::Bytes(b) => format!("{} bytes", b.len()),
                    trove_outlook::AttachContent::Message(m) => {
                        format!("message {:?}", m.subject())
                    }
                    trove_outlook::AttachContent::Missing(w) => format!("missing {w}"),
                };
                eprintln!("  att {:?}: {n}", a.name());
            }
            let out = trove_outlook::mime::to_rfc822(&it, &Default::default(), &Default::default());
            std::io::stdout().write_all(&out).unwrap();
        }
        Err(e) => eprintln!("ERROR {e}"),
    }
}
