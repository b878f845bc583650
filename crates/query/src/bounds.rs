//! What one query may cost, and the checks that hold it to that.
//!
//! A query is refused before it runs when its text is too long, when it has too many clauses
//! or too many wildcard and fuzzy words ([`Budget::check_shape`]). While it runs, every
//! wildcard, fuzzy word and pattern counts the words it expands to in each segment's term
//! dictionary and stops past [`Bounds::max_expansions`] ([`Bounded`]), and the collection
//! loop ([`collect`]) and the expansions look at the clock, stopping the query when its time
//! budget is spent. Each refusal is a [`SearchError::TooCostly`] naming the part of the query
//! (a [`QueryError`] with its span) that is too costly.
//!
//! Tantivy has no timeout of its own: the checks are in trove's collection loop (between
//! blocks of documents and between segments) and in the expansions (between words).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{
    BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::schema::{Field as TField, IndexRecordOption};
use tantivy::{
    BitSet, COLLECT_BLOCK_BUFFER_LEN, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED,
    TantivyError,
};
use tantivy_fst::Automaton;

use crate::SearchError;
use crate::parse::{Node, QueryError, Span};

/// The most one query may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Length of the query text, in bytes.
    pub max_query_bytes: usize,
    /// Clauses (words, phrases, wildcards, fuzzy words, ranges) in the query.
    pub max_clauses: usize,
    /// Wildcard and fuzzy words in the query: each one walks the term dictionaries.
    pub max_multi_terms: usize,
    /// Words one wildcard, fuzzy word or pattern may expand to, in one index segment.
    pub max_expansions: usize,
    /// Words all of them together may expand to.
    pub max_total_expansions: usize,
    /// How long the query may run (`None`: no limit, as for exports).
    pub time: Option<Duration>,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds::STANDARD
    }
}

impl Bounds {
    /// What every search, count and graph gets unless told otherwise.
    pub const STANDARD: Bounds = Bounds {
        max_query_bytes: 8 << 10,
        max_clauses: 1024,
        max_multi_terms: 64,
        max_expansions: 10_000,
        max_total_expansions: 100_000,
        time: Some(Duration::from_secs(10)),
    };

    /// No bounds at all: what trove did before it had them. Only for benchmarks that measure
    /// what the bounds are worth.
    pub const UNBOUNDED: Bounds = Bounds {
        max_query_bytes: usize::MAX,
        max_clauses: usize::MAX,
        max_multi_terms: usize::MAX,
        max_expansions: usize::MAX,
        max_total_expansions: usize::MAX,
        time: None,
    };

    /// The same bounds without the time limit (exports run as long as they need).
    pub fn without_time(self) -> Bounds {
        Bounds { time: None, ..self }
    }

    fn is_unbounded(&self) -> bool {
        *self == Bounds::UNBOUNDED
    }
}

/// One query's spending against its [`Bounds`], shared by the parts of the query as it runs.
pub struct Budget {
    bounds: Bounds,
    query: String,
    deadline: Option<Instant>,
    state: Mutex<Spent>,
}

#[derive(Default)]
struct Spent {
    /// Words expanded per (clause start, field, segment), each counted once however many
    /// times the clause is compiled (the fold plans compile content clauses more than once)
    /// or run (deep pages run the query several times).
    counted: HashMap<(usize, u32, u128), usize>,
    total: usize,
    /// The clause that expanded to the most words in a segment, for timeout messages.
    heaviest: Option<(usize, Span)>,
    /// Why the query was stopped, when it was.
    stopped: Option<QueryError>,
}

impl fmt::Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Budget")
            .field("bounds", &self.bounds)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// Groups digits by thousands: 10000 → "10,000".
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Budget {
    /// A budget for `query`, its clock starting now.
    pub fn new(bounds: Bounds, query: &str) -> Arc<Budget> {
        Arc::new(Budget {
            bounds,
            query: query.to_owned(),
            deadline: bounds.time.map(|t| Instant::now() + t),
            state: Mutex::new(Spent::default()),
        })
    }

    pub fn bounds(&self) -> &Bounds {
        &self.bounds
    }

    fn spent(&self) -> std::sync::MutexGuard<'_, Spent> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one more clause; too many is an error at this one.
    fn clause(&self, clauses: &mut usize, total: usize, span: Span) -> Result<(), QueryError> {
        *clauses += 1;
        if *clauses > self.bounds.max_clauses {
            return Err(self.costly(
                format!(
                    "the query has {} clauses; at most {} are allowed (this is clause {})",
                    thousands(total),
                    thousands(self.bounds.max_clauses),
                    thousands(*clauses)
                ),
                span,
            ));
        }
        Ok(())
    }

    fn costly(&self, message: String, span: Span) -> QueryError {
        QueryError::new(message, span, &self.query)
    }

    fn text(&self, span: Span) -> &str {
        self.query.get(span.start..span.end).unwrap_or("")
    }

    /// Refuses a query whose text or shape is over the bounds, naming the first clause past
    /// the limit.
    pub fn check_shape(&self, node: &Node) -> Result<(), SearchError> {
        let b = &self.bounds;
        let len = self.query.len();
        if len > b.max_query_bytes {
            let mut start = b.max_query_bytes;
            while !self.query.is_char_boundary(start) {
                start -= 1;
            }
            return Err(SearchError::TooCostly(self.costly(
                format!(
                    "the query is {} bytes long; at most {} are allowed",
                    thousands(len),
                    thousands(b.max_query_bytes)
                ),
                Span { start, end: len },
            )));
        }
        let (mut clauses, mut multi) = (0usize, 0usize);
        let (clauses_total, multi_total) = count_clauses(node);
        self.walk(node, &mut clauses, &mut multi, clauses_total, multi_total)
            .map_err(SearchError::TooCostly)
    }

    fn walk(
        &self,
        node: &Node,
        clauses: &mut usize,
        multi: &mut usize,
        clauses_total: usize,
        multi_total: usize,
    ) -> Result<(), QueryError> {
        let b = &self.bounds;
        match node {
            Node::And { must, not } => {
                for n in must.iter().chain(not) {
                    self.walk(n, clauses, multi, clauses_total, multi_total)?;
                }
                Ok(())
            }
            Node::Or(parts) => {
                for n in parts {
                    self.walk(n, clauses, multi, clauses_total, multi_total)?;
                }
                Ok(())
            }
            Node::Not(inner) => self.walk(inner, clauses, multi, clauses_total, multi_total),
            Node::All => Ok(()),
            Node::Term { span, .. } | Node::Phrase { span, .. } | Node::Range { span, .. } => {
                self.clause(clauses, clauses_total, *span)
            }
            Node::Wildcard { span, .. } | Node::Fuzzy { span, .. } => {
                *multi += 1;
                if *multi > b.max_multi_terms {
                    return Err(self.costly(
                        format!(
                            "the query has {} wildcard and fuzzy words; at most {} are allowed, each one reads the whole word list (`{}` is number {})",
                            thousands(multi_total),
                            thousands(b.max_multi_terms),
                            self.text(*span),
                            thousands(*multi)
                        ),
                        *span,
                    ));
                }
                self.clause(clauses, clauses_total, *span)
            }
        }
    }

    /// Records that a query was stopped, and the error tantivy carries up to trove.
    fn stop(&self, why: QueryError) -> TantivyError {
        let mut s = self.spent();
        if s.stopped.is_none() {
            s.stopped = Some(why);
        }
        TantivyError::InvalidArgument("the query was stopped: over its budget".into())
    }

    /// Whether the time budget is spent.
    fn expired(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    fn timeout_error(&self) -> QueryError {
        let secs = self.bounds.time.map_or(0.0, |t| t.as_secs_f64());
        let heaviest = self.spent().heaviest;
        match heaviest {
            Some((n, span)) => self.costly(
                format!(
                    "the query ran for more than {secs} s (its time budget) and was stopped; its costliest part is `{}` ({} words)",
                    self.text(span),
                    thousands(n)
                ),
                span,
            ),
            None => self.costly(
                format!(
                    "the query ran for more than {secs} s (its time budget) and was stopped; narrow it down"
                ),
                Span {
                    start: 0,
                    end: self.query.len(),
                },
            ),
        }
    }

    /// Inside tantivy (expansions): an error when the time budget is spent.
    fn tick(&self) -> tantivy::Result<()> {
        if self.expired() {
            let e = self.timeout_error();
            return Err(self.stop(e));
        }
        Ok(())
    }

    /// In trove's own loops: an error when the time budget is spent.
    pub(crate) fn check_time(&self) -> Result<(), SearchError> {
        if self.expired() {
            let e = self.timeout_error();
            let mut s = self.spent();
            if s.stopped.is_none() {
                s.stopped = Some(e.clone());
            }
            return Err(SearchError::TooCostly(e));
        }
        Ok(())
    }

    /// A tantivy error as trove's: the reason a query was stopped, when it was.
    pub(crate) fn error(&self, e: TantivyError) -> SearchError {
        match self.spent().stopped.clone() {
            Some(why) => SearchError::TooCostly(why),
            None => SearchError::Tantivy(e),
        }
    }

    /// Counts a clause's expansions in one segment against the total.
    fn expanded(&self, span: Span, field: TField, segment: u128, n: usize) -> tantivy::Result<()> {
        let mut s = self.spent();
        if s.heaviest.is_none_or(|(m, _)| n > m) {
            s.heaviest = Some((n, span));
        }
        let key = (span.start, field.field_id(), segment);
        if s.counted.contains_key(&key) {
            return Ok(());
        }
        s.counted.insert(key, n);
        s.total = s.total.saturating_add(n);
        if s.total > self.bounds.max_total_expansions {
            let total = s.total;
            drop(s);
            let e = self.costly(
                format!(
                    "the wildcard and fuzzy words of the query expand to more than {} words together ({} so far, `{}` the last); use fewer or longer ones",
                    thousands(self.bounds.max_total_expansions),
                    thousands(total),
                    self.text(span)
                ),
                span,
            );
            return Err(self.stop(e));
        }
        Ok(())
    }

    fn too_many(&self, span: Span) -> TantivyError {
        let e = self.costly(
            format!(
                "`{}` matches more than {} different words; make it longer or more precise",
                self.text(span),
                thousands(self.bounds.max_expansions)
            ),
            span,
        );
        self.stop(e)
    }
}

fn count_clauses(node: &Node) -> (usize, usize) {
    match node {
        Node::And { must, not } => must.iter().chain(not).map(count_clauses).fold((0, 0), add),
        Node::Or(parts) => parts.iter().map(count_clauses).fold((0, 0), add),
        Node::Not(inner) => count_clauses(inner),
        Node::All => (0, 0),
        Node::Term { .. } | Node::Phrase { .. } | Node::Range { .. } => (1, 0),
        Node::Wildcard { .. } | Node::Fuzzy { .. } => (1, 1),
    }
}

fn add(a: (usize, usize), b: (usize, usize)) -> (usize, usize) {
    (a.0 + b.0, a.1 + b.1)
}

/// A segment's id as a number (its UUID), for ordering segments the same way in every
/// searcher that holds them.
pub(crate) fn segment_number(reader: &SegmentReader) -> u128 {
    u128::from_str_radix(&reader.segment_id().uuid_string(), 16).unwrap_or(0)
}

/// The documents holding any word a wildcard, fuzzy word or pattern expands to, like
/// tantivy's `AutomatonWeight`, but counting the words against the query's budget: more than
/// [`Bounds::max_expansions`] in a segment, or a spent time budget, stop the query.
pub(crate) struct Bounded<A> {
    field: TField,
    automaton: Arc<A>,
    span: Span,
    budget: Arc<Budget>,
}

impl<A> Clone for Bounded<A> {
    fn clone(&self) -> Self {
        Bounded {
            field: self.field,
            automaton: self.automaton.clone(),
            span: self.span,
            budget: self.budget.clone(),
        }
    }
}

impl<A> fmt::Debug for Bounded<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bounded")
            .field("field", &self.field)
            .field("span", &self.span)
            .finish_non_exhaustive()
    }
}

impl<A> Bounded<A> {
    pub(crate) fn new(field: TField, automaton: Arc<A>, span: Span, budget: Arc<Budget>) -> Self {
        Bounded {
            field,
            automaton,
            span,
            budget,
        }
    }
}

impl<A> Query for Bounded<A>
where
    A: Automaton + Send + Sync + 'static,
    A::State: Clone,
{
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl<A> Weight for Bounded<A>
where
    A: Automaton + Send + Sync + 'static,
    A::State: Clone,
{
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let b = &self.budget;
        let inverted = reader.inverted_index(self.field)?;
        let mut stream = inverted.terms().search(&*self.automaton).into_stream()?;
        let mut infos = Vec::new();
        while stream.advance() {
            infos.push(stream.value().clone());
            if infos.len() > b.bounds.max_expansions {
                return Err(b.too_many(self.span));
            }
            if infos.len().is_multiple_of(512) {
                b.tick()?;
            }
        }
        if !b.bounds.is_unbounded() {
            b.expanded(self.span, self.field, segment_number(reader), infos.len())?;
        }
        let mut bits = BitSet::with_max_value(reader.max_doc());
        for (i, info) in infos.iter().enumerate() {
            if i % 128 == 127 {
                b.tick()?;
            }
            let mut postings =
                inverted.read_block_postings_from_terminfo(info, IndexRecordOption::Basic)?;
            loop {
                let docs = postings.docs();
                if docs.is_empty() {
                    break;
                }
                for &d in docs {
                    bits.insert(d);
                }
                postings.advance();
            }
        }
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(bits), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) == doc {
            Ok(Explanation::new(
                "one of the words the clause expands to",
                1.0,
            ))
        } else {
            Err(TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )))
        }
    }
}

/// Runs a collector over every segment the way `Searcher::search` does, but looking at the
/// clock between blocks of documents and between segments, so that a query over its time
/// budget stops with an error instead of running on.
pub(crate) fn collect<C: Collector>(
    searcher: &Searcher,
    weight: &dyn Weight,
    collector: &C,
    budget: &Budget,
) -> Result<C::Fruit, SearchError> {
    let scoring = collector.requires_scoring();
    let mut fruits = Vec::with_capacity(searcher.segment_readers().len());
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        budget.check_time()?;
        let mut child = collector
            .for_segment(ord as u32, reader)
            .map_err(|e| budget.error(e))?;
        let mut scorer = weight.scorer(reader, 1.0).map_err(|e| budget.error(e))?;
        let alive = reader.alive_bitset();
        if scoring {
            let mut doc = scorer.doc();
            let mut n = 0u32;
            while doc != TERMINATED {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    child.collect(doc, scorer.score());
                }
                n = n.wrapping_add(1);
                if n.is_multiple_of(4096) {
                    budget.check_time()?;
                }
                doc = scorer.advance();
            }
        } else {
            each_block(&mut *scorer, alive, budget, &mut |docs| {
                child.collect_block(docs)
            })?;
        }
        fruits.push(child.harvest());
    }
    collector.merge_fruits(fruits).map_err(|e| budget.error(e))
}

/// Calls `f` with the live matches of a scorer, a block at a time, looking at the clock
/// between blocks.
pub(crate) fn each_block(
    scorer: &mut dyn Scorer,
    alive: Option<&tantivy::fastfield::AliveBitSet>,
    budget: &Budget,
    f: &mut dyn FnMut(&[DocId]),
) -> Result<(), SearchError> {
    let mut buf = [0 as DocId; COLLECT_BLOCK_BUFFER_LEN];
    let mut live: Vec<DocId> = Vec::with_capacity(COLLECT_BLOCK_BUFFER_LEN);
    let mut blocks = 0u32;
    loop {
        let n = scorer.fill_buffer(&mut buf);
        if n == 0 {
            break;
        }
        match alive {
            Some(a) => {
                live.clear();
                live.extend(buf[..n].iter().copied().filter(|&d| a.is_alive(d)));
                f(&live);
            }
            None => f(&buf[..n]),
        }
        blocks = blocks.wrapping_add(1);
        if blocks.is_multiple_of(64) {
            budget.check_time()?;
        }
        if n < COLLECT_BLOCK_BUFFER_LEN {
            break;
        }
    }
    Ok(())
}

/// Calls `f` with the live matches of a weight in one segment, a block at a time, within
/// the budget.
pub(crate) fn each_match(
    weight: &dyn Weight,
    reader: &SegmentReader,
    budget: &Budget,
    f: &mut dyn FnMut(&[DocId]),
) -> Result<(), SearchError> {
    budget.check_time()?;
    let mut scorer = weight.scorer(reader, 1.0).map_err(|e| budget.error(e))?;
    each_block(&mut *scorer, reader.alive_bitset(), budget, f)
}

/// The weight of a query for a collector: scored only when the collector needs scores.
pub(crate) fn weight(
    searcher: &Searcher,
    query: &dyn Query,
    scoring: bool,
    budget: &Budget,
) -> Result<Box<dyn Weight>, SearchError> {
    let enable = if scoring {
        EnableScoring::enabled_from_searcher(searcher)
    } else {
        EnableScoring::disabled_from_searcher(searcher)
    };
    query.weight(enable).map_err(|e| budget.error(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    #[test]
    fn shape_limits_name_the_clause_past_them() {
        let bounds = Bounds {
            max_multi_terms: 2,
            ..Bounds::STANDARD
        };
        let q = "contrat* ana~1 *x* final";
        let b = Budget::new(bounds, q);
        match b.check_shape(&parse(q).unwrap()) {
            Err(SearchError::TooCostly(e)) => {
                assert_eq!(&q[e.span.start..e.span.end], "*x*", "{e}");
                assert!(e.message.contains("at most 2"), "{e}");
                assert!(e.message.contains("has 3 wildcard"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        let q = "uno dos tres";
        let b = Budget::new(
            Bounds {
                max_clauses: 2,
                ..Bounds::STANDARD
            },
            q,
        );
        match b.check_shape(&parse(q).unwrap()) {
            Err(SearchError::TooCostly(e)) => assert_eq!(&q[e.span.start..e.span.end], "tres"),
            other => panic!("{other:?}"),
        }
        let q = "ñ".repeat(10);
        let b = Budget::new(
            Bounds {
                max_query_bytes: 5,
                ..Bounds::STANDARD
            },
            &q,
        );
        match b.check_shape(&parse(&q).unwrap()) {
            Err(SearchError::TooCostly(e)) => {
                assert_eq!(e.span.start, 4, "on a character boundary");
                assert!(e.message.contains("20 bytes"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            Budget::new(Bounds::STANDARD, "contrat* ana~1")
                .check_shape(&parse("contrat* ana~1").unwrap())
                .is_ok()
        );
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
