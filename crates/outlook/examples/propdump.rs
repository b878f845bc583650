//! Dumps an item's MAPI properties: `cargo run --example propdump -- store.pst "subject part"`, or `--from` to list every item's resolved sender and recipients.
use std::ops::ControlFlow;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let want = std::env::args().nth(2).unwrap_or_default();
    let f = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
    trove_outlook::pst::read_store(f, Default::default(), &mut |e| {
        if let Ok(it) = &e.item {
            if want == "--from" {
                let f = trove_outlook::mime::from(it, e.book);
                let to = trove_outlook::mime::recipients(it, 1, e.book);
                println!(
                    "{:?} | {:?} | {:?}",
                    it.subject(),
                    f,
                    to.iter().map(|a| a.address.clone()).collect::<Vec<_>>()
                );
                return ControlFlow::Continue(());
            }
            if it.subject().unwrap_or("").contains(&want) {
                for (k, v) in &it.props.props {
                    let s = format!("{v:?}");
                    println!("{k:x?} {}", &s[..s.len().min(150)]);
                }
                for r in &it.recipients {
                    println!("--- recipient");
                    for (k, v) in &r.props {
                        let s = format!("{v:?}");
                        println!("  {k:x?} {}", &s[..s.len().min(150)]);
                    }
                }
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    })
    .unwrap();
}
