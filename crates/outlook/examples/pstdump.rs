//! Lists what a PST/OST holds: `cargo run --example pstdump -- file.pst`.
use std::ops::ControlFlow;

fn main() {
    let path = std::env::args().nth(1).expect("a PST path");
    let f = std::io::BufReader::new(std::fs::File::open(&path).expect("open"));
    let summary = trove_outlook::pst::read_store(f, Default::default(), &mut |e| {
        let folder = e.folder.map(|f| f.path.as_str()).unwrap_or("(orphan)");
        match &e.item {
            Ok(it) => println!(
                "{folder}\t{:#x}\t{}\t{}\tatt={}\trcpt={}\tlisted={}\t{:?}",
                e.message.nid,
                it.message_class(),
                it.subject().unwrap_or(""),
                it.attachment_count(),
                it.recipients.len(),
                e.message.listed,
                it.problems
            ),
            Err(err) => println!("{folder}\t{:#x}\tERROR {err}", e.message.nid),
        }
        ControlFlow::Continue(())
    })
    .expect("read");
    println!("{:?}", summary.info);
    for f in &summary.catalog.folders {
        println!(
            "folder {:#x} parent {:#x} {:?} count={:?} table={:?} nodes={} assoc={} search={}",
            f.nid, f.parent, f.path, f.content_count, f.table_rows, f.nodes, f.associated, f.search
        );
    }
    for m in summary.mismatches() {
        println!("MISMATCH {m}");
    }
}
