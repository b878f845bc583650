//! Extracts files in this process and prints the outcome (for trying extraction by hand).
//! `cargo run --release -p trove-extract --example extract_file -- FILE… [--ocr]`

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = trove_extract::Options::default();
    if args.iter().any(|a| a == "--ocr") {
        opts.ocr = trove_extract::OcrMode::Now;
    }
    for path in args.iter().filter(|a| !a.starts_with("--")) {
        let bytes = std::fs::read(path).unwrap_or_default();
        let hint = trove_extract::Hint {
            name: Some(path.clone()),
            mime: None,
        };
        let e = trove_extract::extract(&bytes, &hint, &opts);
        println!(
            "== {path}: {} {} {:?} pages {} pending {:?} flags {:?} {} ms",
            e.format,
            e.status.as_str(),
            e.reason,
            e.pages,
            e.ocr_pending,
            e.flags,
            e.millis
        );
        println!(
            "meta: {}",
            serde_json::to_string(&e.meta).unwrap_or_default()
        );
        if args.iter().any(|a| a == "--text") {
            println!("{}", e.text);
        } else {
            println!("{}", e.text.chars().take(400).collect::<String>());
        }
    }
}
