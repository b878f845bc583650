//! Generate a corpus: `cargo run --release -p trove-synth --example synth -- OUT [MESSAGES] [SEED] [LAYOUTS]`.

use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: synth OUT [MESSAGES] [SEED] [eml,maildir,mbox,zip]")?,
    );
    let mut cfg = trove_synth::SynthConfig::default();
    if let Some(n) = args.next() {
        cfg.messages = n.parse()?;
    }
    if let Some(s) = args.next() {
        cfg.seed = s.parse()?;
    }
    if let Some(l) = args.next() {
        cfg.layouts = l.split(',').map(str::parse).collect::<Result<_, _>>()?;
    }
    let t = Instant::now();
    let m = trove_synth::generate(&cfg, &out)?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{} logical messages, {} copies, {} threads, {} files, {:.1} MiB, {} attachments in {secs:.1}s",
        m.logical_messages,
        m.copies,
        m.threads,
        m.files,
        m.bytes as f64 / 1048576.0,
        m.attachments
    );
    Ok(())
}
