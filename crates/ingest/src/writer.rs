//! The catalog writer: the one thread that writes to the catalog and the packs.
//!
//! It batches groups into transactions, decides exact duplicates (in the catalog, see
//! `Batch::write_item`), and tracks streamed containers: a container is marked complete only
//! when every member the producer sent has been written (nested containers count when they
//! complete), so that a resumed run knows exactly what is left. For mbox files it also
//! records how far the messages are all written, so that a resumed run can seek there.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use trove_store::StoreError;
use trove_store::blobs::PackWriter;
use trove_store::catalog::{Batch, Catalog};
use trove_store::model::{Outcome, Parent};

use crate::progress::Progress;
use crate::unit::{MemberOf, ToWriter};

const BATCH_ITEMS: usize = 16000;
const BATCH_TIME: Duration = Duration::from_millis(2000);

struct Pending {
    id: i64,
    sent: Option<u64>,
    received: u64,
    outcome: Outcome,
    member_of: Option<MemberOf>,
    /// Contiguous prefix of members written (by seq) and those written out of order.
    next_seq: u64,
    ahead: BTreeMap<u64, Option<u64>>,
    resume: Option<u64>,
    resume_dirty: bool,
}

pub(crate) struct Writer<'p> {
    pub catalog: Catalog,
    pub packs: PackWriter,
    pub source: i64,
    pub run: i64,
    pub progress: &'p Progress,
    pending: HashMap<String, Pending>,
    /// A source with items already (a resumed or repeated run): look items up before writing.
    resuming: bool,
}

/// What a message needs from the writer's state.
struct Ctx<'a> {
    packs: &'a mut PackWriter,
    pending: &'a mut HashMap<String, Pending>,
    source: i64,
    run: i64,
    progress: &'a Progress,
}

impl<'p> Writer<'p> {
    pub fn new(
        catalog: Catalog,
        packs: PackWriter,
        source: i64,
        run: i64,
        progress: &'p Progress,
        resuming: bool,
    ) -> Self {
        Writer {
            catalog,
            packs,
            source,
            run,
            progress,
            pending: HashMap::new(),
            resuming,
        }
    }

    /// Writes until every sender is gone. Returns the containers left incomplete.
    pub fn run(mut self, rx: Receiver<ToWriter>) -> Result<usize, StoreError> {
        let mut disconnected = false;
        while !disconnected {
            let mut batch = self.catalog.batch()?;
            batch.set_check_existing(self.resuming);
            let started = Instant::now();
            let mut n = 0usize;
            let mut ctx = Ctx {
                packs: &mut self.packs,
                pending: &mut self.pending,
                source: self.source,
                run: self.run,
                progress: self.progress,
            };
            while n < BATCH_ITEMS && started.elapsed() < BATCH_TIME {
                match rx.recv_timeout(BATCH_TIME.saturating_sub(started.elapsed())) {
                    Ok(msg) => {
                        n += handle(&mut batch, &mut ctx, msg)?;
                    }
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => {
                        disconnected = true;
                        break;
                    }
                }
            }
            for p in self.pending.values_mut() {
                if p.resume_dirty {
                    if let Some(at) = p.resume {
                        batch.set_resume(p.id, at)?;
                    }
                    p.resume_dirty = false;
                }
            }
            batch.commit(&mut self.packs)?;
        }
        Ok(self.pending.len())
    }
}

/// The id of an item's parent: in the group being written, an open container, or the catalog.
fn parent_id(
    batch: &Batch<'_>,
    ctx: &Ctx<'_>,
    group: &HashMap<&str, i64>,
    parent: &Parent,
) -> Result<Option<i64>, StoreError> {
    let Parent::Locator(l) = parent else {
        return Ok(None);
    };
    if let Some(id) = group
        .get(l.as_str())
        .copied()
        .or_else(|| ctx.pending.get(l).map(|p| p.id))
    {
        return Ok(Some(id));
    }
    batch.item_id(ctx.source, l)
}

fn handle(batch: &mut Batch<'_>, ctx: &mut Ctx<'_>, msg: ToWriter) -> Result<usize, StoreError> {
    match msg {
        ToWriter::Open(item) => {
            let parent = parent_id(batch, ctx, &HashMap::new(), &item.prov.parent)?;
            let w = batch.write_item(ctx.source, ctx.run, ctx.packs, &item, parent)?;
            ctx.pending.insert(
                item.prov.locator.clone(),
                Pending {
                    id: w.id,
                    sent: None,
                    received: 0,
                    outcome: Outcome::Container { damage: None },
                    member_of: None,
                    next_seq: 0,
                    ahead: BTreeMap::new(),
                    resume: None,
                    resume_dirty: false,
                },
            );
            Ok(1)
        }
        ToWriter::Group(g) => {
            let n = g.items.len();
            let mut ids: HashMap<&str, i64> = HashMap::new();
            for item in &g.items {
                let parent = parent_id(batch, ctx, &ids, &item.prov.parent)?;
                let w = batch.write_item(ctx.source, ctx.run, ctx.packs, item, parent)?;
                if !w.existed {
                    ctx.progress.record(w.outcome, item.message.is_some());
                }
                ids.insert(&item.prov.locator, w.id);
            }
            for (msg_loc, part, child_loc) in &g.links {
                if let (Some(&m), Some(&c)) =
                    (ids.get(msg_loc.as_str()), ids.get(child_loc.as_str()))
                {
                    batch.link_attachment(m, *part, c)?;
                }
            }
            ctx.progress.add_bytes(g.bytes);
            if let Some(mo) = g.member_of {
                member_done(batch, ctx.pending, mo)?;
            }
            Ok(n)
        }
        ToWriter::Close {
            locator,
            members,
            outcome,
            member_of,
        } => {
            if let Some(p) = ctx.pending.get_mut(&locator) {
                p.sent = Some(members);
                p.outcome = outcome;
                p.member_of = member_of;
            }
            check_complete(batch, ctx.pending, &locator)?;
            Ok(1)
        }
    }
}

fn member_done(
    batch: &mut Batch<'_>,
    pending: &mut HashMap<String, Pending>,
    mo: MemberOf,
) -> Result<(), StoreError> {
    let Some(p) = pending.get_mut(&mo.container) else {
        return Ok(());
    };
    p.received += 1;
    if let Some(to) = mo.resume_to {
        p.ahead.insert(mo.seq, Some(to));
        while let Some(pos) = p.ahead.remove(&p.next_seq) {
            p.next_seq += 1;
            if let Some(pos) = pos {
                p.resume = Some(pos);
                p.resume_dirty = true;
            }
        }
    }
    check_complete(batch, pending, &mo.container)
}

fn check_complete(
    batch: &mut Batch<'_>,
    pending: &mut HashMap<String, Pending>,
    locator: &str,
) -> Result<(), StoreError> {
    let done = pending
        .get(locator)
        .is_some_and(|p| p.sent == Some(p.received));
    if !done {
        return Ok(());
    }
    if let Some(p) = pending.remove(locator) {
        batch.complete(p.id, &p.outcome)?;
        if let Some(parent) = p.member_of {
            member_done(batch, pending, parent)?;
        }
    }
    Ok(())
}
