//! Measures `detect` in MB/s over the text of files given on the command line (read as UTF-8,
//! lossy), repeated until at least `TROVE_ENRICH_SECS` seconds (default 3) have passed.
//! `TROVE_ENRICH_LIST=1` prints every detection first.
//! `cargo run --release -p trove-enrich --example detect_speed -- FILE...`

use std::time::Instant;

fn main() {
    let texts: Vec<String> = std::env::args()
        .skip(1)
        .filter_map(|p| std::fs::read(&p).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    if std::env::var_os("TROVE_ENRICH_LIST").is_some() {
        for t in &texts {
            for d in trove_enrich::detect(t) {
                println!(
                    "{:?}\t{:?}\t{}\t{:.2}\t{}",
                    d.kind, d.text, d.rule, d.confidence, d.snippet
                );
            }
        }
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    if bytes == 0 {
        eprintln!("usage: detect_speed FILE... (text files)");
        std::process::exit(2);
    }
    let secs: f64 = std::env::var("TROVE_ENRICH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let start = Instant::now();
    let mut rounds = 0u64;
    let mut found = 0usize;
    let mut exposures = 0usize;
    while start.elapsed().as_secs_f64() < secs || rounds == 0 {
        found = 0;
        exposures = 0;
        for t in &texts {
            let ds = trove_enrich::detect(t);
            found += ds.len();
            exposures += ds.iter().filter(|d| d.is_exposure()).count();
        }
        rounds += 1;
    }
    let el = start.elapsed().as_secs_f64();
    let mb = bytes as f64 * rounds as f64 / 1e6;
    println!(
        "{} files, {:.2} MB of text, {rounds} rounds, {:.1} MB/s, {found} detections ({exposures} exposures) per round",
        texts.len(),
        bytes as f64 / 1e6,
        mb / el
    );
}
