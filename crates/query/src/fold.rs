//! Attachments folded into their messages.
//!
//! An attachment is indexed as a document of its own (its text, names, metadata, flags), but
//! a search answers with messages: a message is a result when it matches the query itself, or
//! when it matches the query's message-level clauses (sender, recipients, date, source,
//! folder, subject…) and one of its attachments matches the content clauses (words, phrases,
//! `attachment:`, `flag:`, `author:`, `has:gps`…). So `from:ana contrato` finds Ana's messages
//! whose attachment says "contrato", and every message counts once, however many of its
//! attachments match. A query that names `kind:attachment` searches attachments themselves.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tantivy::query::{
    BitSetDocSet, BooleanQuery, ConstScorer, EnableScoring, Explanation, Occur, Query, Scorer,
    TermQuery, Weight,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{BitSet, DocAddress, DocId, Score, Searcher, SegmentReader, Term};
use trove_index::schema::Fields;

use crate::SearchError;
use crate::bounds::Budget;
use crate::compile::{Compiler, TagLookup};
use crate::parse::{Field, Node, parse};

/// Attachments matched per query at most (their messages beyond that are not added).
const MAX_ATTACHMENTS: usize = 500_000;

/// A query ready to run, and the attachments that brought messages into it.
pub struct Plan {
    pub query: Box<dyn Query>,
    /// Parent message number (`msg_no`) → the attachments of it that matched.
    pub via: HashMap<u64, Vec<DocAddress>>,
}

/// `has:` values that describe messages; the others describe attachments and documents.
const MESSAGE_HAS: &[&str] = &[
    "attachment",
    "attachments",
    "attach",
    "html",
    "problems",
    "problem",
    "copies",
    "copy",
    "duplicates",
];

fn field_is_content(f: Option<Field>, text: &str) -> bool {
    match f {
        None => true,
        Some(Field::Body | Field::Attachment | Field::Mime | Field::Flag | Field::Author) => true,
        Some(Field::Has) => !MESSAGE_HAS.contains(&text.to_ascii_lowercase().as_str()),
        Some(_) => false,
    }
}

/// Whether a clause says something about content (so attachments can satisfy it).
fn is_content(n: &Node) -> bool {
    match n {
        Node::Term { field, text, .. }
        | Node::Phrase { field, text, .. }
        | Node::Fuzzy { field, text, .. } => field_is_content(*field, text),
        Node::Wildcard { field, pattern, .. } => field_is_content(*field, pattern),
        Node::Range { .. } | Node::All => false,
        Node::And { must, not } => must.iter().chain(not).any(is_content),
        Node::Or(parts) => parts.iter().any(is_content),
        Node::Not(inner) => is_content(inner),
    }
}

fn names_attachments(n: &Node) -> bool {
    match n {
        Node::Term {
            field: Some(Field::Kind),
            text,
            ..
        }
        | Node::Phrase {
            field: Some(Field::Kind),
            text,
            ..
        } => text.eq_ignore_ascii_case("attachment"),
        Node::And { must, not } => must.iter().chain(not).any(names_attachments),
        Node::Or(parts) => parts.iter().any(names_attachments),
        Node::Not(inner) => names_attachments(inner),
        _ => false,
    }
}

fn kind_term(f: &Fields, kind: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(f.kind, kind),
        IndexRecordOption::Basic,
    ))
}

fn compile(
    fields: Fields,
    tags: Option<TagLookup>,
    q: &str,
    n: &Node,
    budget: &Arc<Budget>,
) -> Result<Box<dyn Query>, SearchError> {
    let c = Compiler::new(fields, q).with_budget(budget.clone());
    Ok(match tags {
        Some(t) => c.with_tags(t),
        None => c,
    }
    .compile(n)?)
}

/// Plans a query: the query as written for messages and documents, plus the messages whose
/// attachments match its content clauses.
/// `tags` resolves `tag:` (tags live in the catalog, not in the index). The query is held to
/// `budget`: its shape is checked first, its expansions and time while it is planned and run.
pub fn plan(
    fields: Fields,
    tags: Option<TagLookup>,
    searcher: &Searcher,
    q: &str,
    budget: &Arc<Budget>,
) -> Result<Plan, SearchError> {
    let node = parse(q)?;
    budget.check_shape(&node)?;
    let full = compile(fields, tags, q, &node, budget)?;
    if names_attachments(&node) {
        return Ok(Plan {
            query: full,
            via: HashMap::new(),
        });
    }
    let direct: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
        (Occur::Must, full),
        (Occur::MustNot, kind_term(&fields, "attachment")),
    ]));
    let (must, not) = match &node {
        Node::And { must, not } => (must.clone(), not.clone()),
        other => (vec![other.clone()], Vec::new()),
    };
    let (content_must, message_must): (Vec<Node>, Vec<Node>) =
        must.into_iter().partition(is_content);
    let (content_not, message_not): (Vec<Node>, Vec<Node>) = not.into_iter().partition(is_content);
    // Messages whose attachments say what the query excludes are excluded with them.
    let excluded: Option<NumberSet> = if content_not.is_empty() {
        None
    } else {
        let any: Vec<Box<dyn Query>> = content_not
            .iter()
            .map(|n| compile(fields, tags, q, n, budget))
            .collect::<Result<_, _>>()?;
        let parents = parents_of_matches(
            searcher,
            &BooleanQuery::new(vec![
                (Occur::Must, kind_term(&fields, "attachment")),
                (Occur::Must, Box::new(BooleanQuery::union(any))),
            ]),
            budget,
        )?;
        (!parents.is_empty()).then(|| NumberSet::new("msg_no", parents.keys().copied()))
    };
    let without = |q: Box<dyn Query>| -> Box<dyn Query> {
        match &excluded {
            Some(keys) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, q),
                (Occur::MustNot, Box::new(keys.clone())),
            ])),
            None => q,
        }
    };
    let direct = without(direct);
    if content_must.is_empty() {
        return Ok(Plan {
            query: direct,
            via: HashMap::new(),
        });
    }
    // Attachments matching the content clauses, and the messages carrying them.
    let mut on_attachments: Vec<(Occur, Box<dyn Query>)> =
        vec![(Occur::Must, kind_term(&fields, "attachment"))];
    for n in &content_must {
        on_attachments.push((Occur::Must, compile(fields, tags, q, n, budget)?));
    }
    for n in &content_not {
        on_attachments.push((Occur::MustNot, compile(fields, tags, q, n, budget)?));
    }
    let via = parents_of_matches(searcher, &BooleanQuery::new(on_attachments), budget)?;
    if via.is_empty() {
        return Ok(Plan { query: direct, via });
    }
    let mut through: Vec<(Occur, Box<dyn Query>)> = vec![(
        Occur::Must,
        Box::new(NumberSet::new("msg_no", via.keys().copied())),
    )];
    for n in &message_must {
        through.push((Occur::Must, compile(fields, tags, q, n, budget)?));
    }
    for n in &message_not {
        through.push((Occur::MustNot, compile(fields, tags, q, n, budget)?));
    }
    let through = without(Box::new(BooleanQuery::new(through)));
    let query: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
        (Occur::Should, direct),
        (Occur::Should, through),
    ]));
    Ok(Plan { query, via })
}

/// Parent message number → attachments, for every attachment the query matches.
fn parents_of_matches(
    searcher: &Searcher,
    query: &dyn Query,
    budget: &Budget,
) -> Result<HashMap<u64, Vec<DocAddress>>, SearchError> {
    let weight = query
        .weight(EnableScoring::disabled_from_searcher(searcher))
        .map_err(|e| budget.error(e))?;
    let mut out: HashMap<u64, Vec<DocAddress>> = HashMap::new();
    let mut seen = 0usize;
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        budget.check_time()?;
        let Some(parents) = segment.fast_fields().column_opt::<u64>("parent_no")? else {
            continue;
        };
        let mut docs: Vec<DocId> = Vec::new();
        crate::bounds::each_match(&*weight, segment, budget, &mut |batch: &[DocId]| {
            docs.extend_from_slice(batch)
        })?;
        for d in docs {
            seen += 1;
            if seen > MAX_ATTACHMENTS {
                return Ok(out);
            }
            for p in parents.values_for_doc(d) {
                out.entry(p)
                    .or_default()
                    .push(DocAddress::new(ord as u32, d));
            }
        }
    }
    Ok(out)
}

/// Documents whose single-valued u64 fast field is in a set: one pass over the column per
/// segment, however large the set (a term set over text keys costs a dictionary walk per key).
#[derive(Clone, Debug)]
pub struct NumberSet {
    field: &'static str,
    set: Arc<HashSet<u64>>,
}

impl NumberSet {
    pub fn new(field: &'static str, values: impl IntoIterator<Item = u64>) -> Self {
        NumberSet {
            field,
            set: Arc::new(values.into_iter().collect()),
        }
    }

    fn docs(&self, reader: &SegmentReader) -> tantivy::Result<BitSet> {
        let mut bits = BitSet::with_max_value(reader.max_doc());
        if let Some(col) = reader.fast_fields().column_opt::<u64>(self.field)? {
            for doc in 0..reader.max_doc() {
                if col.first(doc).is_some_and(|v| self.set.contains(&v)) {
                    bits.insert(doc);
                }
            }
        }
        Ok(bits)
    }
}

impl Query for NumberSet {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for NumberSet {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ConstScorer::new(
            BitSetDocSet::from(self.docs(reader)?),
            boost,
        )))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if self.docs(reader)?.contains(doc) {
            Ok(Explanation::new(
                "in the set of messages carrying a matching attachment",
                1.0,
            ))
        } else {
            Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )))
        }
    }
}
