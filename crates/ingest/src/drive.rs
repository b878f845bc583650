//! The driver: the one recursion that opens containers, for every kind in
//! [`crate::containers`], used both by the producer (streaming the outermost inputs, members
//! going to the workers) and by a worker (opening an archive found in an attachment,
//! everything kept in one group).
//!
//! What is the same for every kind is done here, once:
//! - skipping a container, or a member, that a previous run finished ([`Sink::seen`]), and
//!   resuming a container recorded in part (an mbox read from where its messages end);
//! - recording the container item (before its first member) and its outcome (after the last,
//!   from what its reader returned: damage, failure, encryption, or the stop of the pipeline);
//! - members' positions in the container, for completion counting and resume points;
//! - repeated member names (`#2`, `#3`…, [`Names`]);
//! - the nesting limit ([`may_open`]);
//! - sniffing a member's stream, opening it when it is a container (the recursion) or
//!   holding it in memory or spilling it to the run's tmp folder when it is a leaf.
//!
//! The expansion budget and the overlap check of zip entries are applied by the readers in
//! `trove_formats::archive`, from the [`Container::budget`] passed down here.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};

use trove_formats::archive::{ArchiveError, ArchiveSummary, LimitReached};
use trove_formats::sniff::{Format, SNIFF_LEN, sniff};
use trove_store::model::{NewItem, Outcome};

use crate::containers::archive::{Compressed, SevenZip, Tar, Zip};
use crate::containers::layout::refine_format;
use crate::containers::mbox::Mbox;
use crate::containers::outlook::{Msg, Pst, Tnef};
use crate::containers::{
    Container, ContainerKind, Input, MemberSpec, Members, ReadError, SINGLE_MBOX_PROBE,
    is_container, is_single_message,
};
use crate::sink::{Ctx, Seen, Sink, Stop, buffer};
use crate::unit::{MemberOf, Payload, Unit};

/// True when a container at nesting `depth` may be opened (else it is stored unopened, or
/// recorded as not opened, and says so).
pub fn may_open(ctx: &Ctx, depth: u32) -> bool {
    depth < ctx.limits.max_depth
}

/// The reader of a container format, if it is one.
fn kind_of(format: Format, resume_at: Option<u64>) -> Option<Box<dyn ContainerKind>> {
    Some(match format {
        f if f.is_compression() => Box::new(Compressed),
        Format::Pst => Box::new(Pst),
        Format::Ole => Box::new(Msg),
        Format::Tnef => Box::new(Tnef),
        Format::Mbox => Box::new(Mbox { resume_at }),
        Format::Tar => Box::new(Tar),
        Format::Zip => Box::new(Zip),
        Format::SevenZip => Box::new(SevenZip),
        _ => return None,
    })
}

/// Opens a container and hands every member to the sink.
pub fn expand(ctx: &Ctx, sink: &mut dyn Sink, c: Container, input: Input<'_>) -> Result<(), Stop> {
    let resume_at = match sink.seen(c.locator()) {
        Seen::Done => return Ok(()),
        Seen::Partial { resume_at } => resume_at,
        Seen::New => None,
    };
    let mut item = NewItem::new(
        c.prov.clone(),
        c.format.as_str(),
        c.size,
        Outcome::Container { damage: None },
    );
    item.complete = false;
    let mut driver = Driver {
        ctx,
        sink,
        c: &c,
        item: Some(item),
        members: 0,
        names: Names::default(),
    };
    let result = match kind_of(c.format, resume_at) {
        Some(kind) => kind.read(ctx, &c, input, &mut driver),
        None => Err(ReadError::Archive(ArchiveError::Unreadable {
            format: c.format.as_str(),
            reason: "not a container format".into(),
        })),
    };
    driver.finish(result)
}

/// One container being read: what its kind's members go through.
struct Driver<'a, 's> {
    ctx: &'a Ctx,
    sink: &'s mut dyn Sink,
    c: &'a Container,
    /// The container item, until it is recorded.
    item: Option<NewItem>,
    members: u64,
    names: Names,
}

impl Driver<'_, '_> {
    /// Records the container's outcome, from what its reader returned.
    fn finish(mut self, result: Result<ArchiveSummary, ReadError>) -> Result<(), Stop> {
        let members = self.members;
        let outcome = match result {
            Err(ReadError::Stopped) => return Err(Stop),
            Err(ReadError::Decided(outcome)) => outcome,
            Ok(summary) => Outcome::Container {
                damage: summary.damage,
            },
            Err(ReadError::Archive(ArchiveError::Encrypted(how))) => Outcome::Skipped {
                reason: format!("encrypted archive ({how}); no password"),
            },
            Err(ReadError::Archive(e)) if members == 0 => Outcome::Failed {
                reason: e.to_string(),
            },
            Err(ReadError::Archive(e)) => Outcome::Container {
                damage: Some(e.to_string()),
            },
        };
        self.open()?;
        self.sink
            .close(self.c.locator(), members, outcome, self.c.member_of.clone())
    }
}

impl Members for Driver<'_, '_> {
    fn item(&mut self) -> Option<&mut NewItem> {
        self.item.as_mut()
    }

    fn open(&mut self) -> Result<(), Stop> {
        match self.item.take() {
            Some(item) => self.sink.open(item),
            None => Ok(()),
        }
    }

    fn unique(&mut self, locator: String) -> String {
        self.names.claim(locator)
    }

    fn slot(&mut self, locator: &str, resume_to: Option<u64>) -> Option<MemberOf> {
        if self.sink.seen(locator) == Seen::Done {
            return None;
        }
        let seq = self.members;
        self.members += 1;
        Some(MemberOf {
            container: self.c.locator().to_owned(),
            seq,
            resume_to,
        })
    }

    fn stream(&mut self, spec: MemberSpec, reader: &mut dyn Read) -> Result<(), Stop> {
        self.open()?;
        stream_member(self.ctx, self.sink, spec, reader)
    }

    fn leaf(&mut self, unit: Unit) -> Result<(), Stop> {
        self.open()?;
        self.sink.leaf(unit)
    }

    fn record(&mut self, item: NewItem, member_of: Option<MemberOf>) -> Result<(), Stop> {
        self.open()?;
        self.sink.record(item, member_of)
    }

    fn count(&self) -> u64 {
        self.members
    }
}

/// Sniffs a member's stream and opens it (a nested container) or hands it on as a leaf.
pub fn stream_member(
    ctx: &Ctx,
    sink: &mut dyn Sink,
    m: MemberSpec,
    reader: &mut dyn Read,
) -> Result<(), Stop> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    let fail = |m: &MemberSpec, e: &io::Error| {
        let outcome = match LimitReached::find(e) {
            Some(l) => Outcome::Skipped {
                reason: format!("not read: {l}"),
            },
            None => Outcome::Failed {
                reason: format!("reading failed: {e}"),
            },
        };
        NewItem::new(m.prov.clone(), "unknown", m.size, outcome)
    };
    if let Err(e) = (&mut *reader).take(SNIFF_LEN as u64).read_to_end(&mut head) {
        return sink.record(fail(&m, &e), m.member_of.clone());
    }
    let mut format = refine_format(sniff(&head), &m.rel);
    if format == Format::Mbox {
        // Read a little further: a one-message mbox is a message.
        if let Err(e) = (&mut *reader)
            .take(SINGLE_MBOX_PROBE + 1 - head.len() as u64)
            .read_to_end(&mut head)
        {
            return sink.record(fail(&m, &e), m.member_of.clone());
        }
        if head.len() as u64 <= SINGLE_MBOX_PROBE && is_single_message(&head) {
            format = Format::Message;
        }
    }
    let mut chained = io::Cursor::new(head).chain(reader);
    let too_deep = !may_open(ctx, m.depth);
    if is_container(format) && !too_deep {
        let c = Container::new(
            m.prov,
            format,
            m.size,
            m.rel,
            m.depth,
            m.budget,
            m.member_of,
        );
        return expand(ctx, sink, c, Input::Stream(&mut chained));
    }
    let payload = match buffer(ctx, &mut chained, Some(m.size)) {
        Ok(p) => p,
        Err(e) => return sink.record(fail(&m, &e), m.member_of.clone()),
    };
    let size = match &payload {
        Payload::Memory(v) => v.len() as u64,
        Payload::Spill(p) => std::fs::metadata(p).map(|md| md.len()).unwrap_or(m.size),
        _ => m.size,
    };
    let note = (is_container(format) && too_deep).then(|| {
        format!(
            "stored unopened: nesting depth limit of {} reached",
            ctx.limits.max_depth
        )
    });
    let mut prov = m.prov;
    prov.length = Some(size);
    sink.leaf(Unit {
        prov,
        format,
        payload,
        size,
        envelope: None,
        container_date: m.date,
        depth: m.depth,
        budget: m.budget,
        note,
        member_of: m.member_of,
    })
}

/// The locators of one container's members, one of its own for each: a member whose locator
/// an earlier member of the container already has gets `#2`, `#3`… by its order among the
/// members of that name (`a.zip!/same.eml`, `a.zip!/same.eml#2`), and a generated locator
/// that a real member already holds moves on to the next number. The same container gives
/// the same locators on every run, so that a resumed run recognises each member. Locators are
/// remembered by a 64-bit hash (FNV-1a), not kept: memory is 8 bytes a member, whatever the
/// names; a hash collision only makes a name numbered that need not be, the same way each run.
#[derive(Debug, Default)]
pub struct Names {
    taken: HashSet<u64>,
    /// For locators met more than once: the number the next repeat tries first.
    next: HashMap<u64, u64>,
}

impl Names {
    pub fn claim(&mut self, locator: String) -> String {
        let h = fnv1a(locator.as_bytes());
        if self.taken.insert(h) {
            return locator;
        }
        let mut k = self.next.get(&h).copied().unwrap_or(2);
        loop {
            let candidate = format!("{locator}#{k}");
            k += 1;
            if self.taken.insert(fnv1a(candidate.as_bytes())) {
                self.next.insert(h, k);
                return candidate;
            }
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
