//! Ways to move through a case beyond a result list: a thread as a tree, a person's page, and
//! who wrote to whom for any query.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use trove_store::CatalogRead;

use crate::SearchError;
use crate::search::{Bucket, Request, Searchable, Sort};

/// A message of a thread, with the message it answers.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadNode {
    pub key: String,
    pub item: i64,
    pub subject: Option<String>,
    pub from: Option<String>,
    pub from_name: Option<String>,
    pub date: Option<i64>,
    pub message_id: Option<String>,
    /// Key of the message this one answers, when it is in the thread.
    pub parent: Option<String>,
    pub depth: usize,
    /// Copies of this message in the case.
    pub copies: usize,
}

/// A thread in reading order: each message after its parent, siblings by date.
pub fn thread(s: &Searchable, thread_id: &str) -> Result<Vec<ThreadNode>, SearchError> {
    let rows = s.catalog.thread_messages(thread_id)?;
    let by_id: HashMap<String, String> = rows
        .iter()
        .filter_map(|r| {
            r.message_id
                .clone()
                .map(|id| (id, hex::encode(&r.content_key)))
        })
        .collect();
    let list = |j: &Option<String>| {
        j.as_deref()
            .and_then(|s| serde_json::from_str::<Vec<String>>(s).ok())
            .unwrap_or_default()
    };
    let mut nodes: Vec<ThreadNode> = rows
        .iter()
        .map(|r| {
            let key = hex::encode(&r.content_key);
            // The parent: In-Reply-To if it is in the thread, else the last reference that is.
            let mut refs = list(&r.in_reply_to);
            refs.extend(list(&r.refs).into_iter().rev());
            let parent = refs
                .iter()
                .filter_map(|id| by_id.get(id))
                .find(|k| **k != key)
                .cloned();
            ThreadNode {
                key,
                item: r.item_id,
                subject: r.subject.clone(),
                from: r.from_addr.clone(),
                from_name: r.from_name.clone(),
                date: r.date,
                message_id: r.message_id.clone(),
                parent,
                depth: 0,
                copies: r.copies as usize,
            }
        })
        .collect();
    // Header-poor replies and messages whose parent is missing hang under the first message.
    let root = nodes.first().map(|n| n.key.clone());
    for n in nodes.iter_mut().skip(1) {
        if n.parent.is_none() {
            n.parent = root.clone();
        }
    }
    // Depth-first order.
    let mut children: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        children.entry(n.parent.clone()).or_default().push(i);
    }
    let mut order = Vec::with_capacity(nodes.len());
    let mut stack: Vec<(usize, usize)> = children
        .get(&None)
        .map(|v| v.iter().rev().map(|&i| (i, 0)).collect())
        .unwrap_or_default();
    let mut visited = vec![false; nodes.len()];
    while let Some((i, depth)) = stack.pop() {
        if visited[i] {
            continue;
        }
        visited[i] = true;
        order.push((i, depth));
        if let Some(kids) = children.get(&Some(nodes[i].key.clone())) {
            for &k in kids.iter().rev() {
                stack.push((k, depth + 1));
            }
        }
    }
    // Anything in a cycle of references is appended at the end, not lost.
    for (i, v) in visited.iter().enumerate() {
        if !v {
            order.push((i, 0));
        }
    }
    Ok(order
        .into_iter()
        .map(|(i, depth)| {
            let mut n = nodes[i].clone();
            n.depth = depth.min(32);
            n
        })
        .collect())
}

/// A correspondent.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub address: String,
    /// Display names used with this address, most frequent first.
    pub names: Vec<Bucket>,
    pub messages: u64,
    pub sent: u64,
    pub received: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Messages per month (sent or received).
    pub months: Vec<Bucket>,
    /// The addresses this one exchanged most mail with.
    pub correspondents: Vec<Bucket>,
}

/// Everything about one address.
pub fn person(s: &Searchable, address: &str) -> Result<Person, SearchError> {
    let a = trove_index::analysis::fold_atom(address.trim());
    let quoted = a.replace('"', "");
    let all = s.search(&Request {
        facets: true,
        snippets: false,
        limit: 200,
        sort: Sort::Newest,
        ..Request::new(format!("participant:\"{quoted}\""))
    })?;
    let sent = s.count(&format!("from:\"{quoted}\""))?;
    let facets = all.facets.unwrap_or_default();
    let mut corr: BTreeMap<String, u64> = BTreeMap::new();
    for b in facets.sender.iter().chain(&facets.recipient) {
        if b.value != a {
            *corr.entry(b.value.clone()).or_default() += b.count;
        }
    }
    let mut correspondents: Vec<Bucket> = corr
        .into_iter()
        .map(|(value, count)| Bucket { value, count })
        .collect();
    correspondents.sort_by(|x, y| y.count.cmp(&x.count).then(x.value.cmp(&y.value)));
    correspondents.truncate(25);
    // Names: from the address rows of the latest messages, each name once per message.
    let mut names: BTreeMap<String, u64> = BTreeMap::new();
    for h in &all.hits {
        let key = hex::decode(&h.key).unwrap_or_default();
        for n in s.catalog.names_used(&key, &a)? {
            *names.entry(n).or_default() += 1;
        }
    }
    let mut names: Vec<Bucket> = names
        .into_iter()
        .map(|(value, count)| Bucket { value, count })
        .collect();
    names.sort_by_key(|b| std::cmp::Reverse(b.count));
    let oldest = s.search(&Request {
        snippets: false,
        limit: 1,
        sort: Sort::Oldest,
        ..Request::new(format!("participant:\"{quoted}\""))
    })?;
    Ok(Person {
        address: a,
        names,
        messages: all.total,
        sent,
        received: all.total.saturating_sub(sent),
        first: oldest.hits.first().and_then(|h| h.date),
        last: all.hits.first().and_then(|h| h.date),
        months: facets.month,
        correspondents,
    })
}

/// Who wrote to whom.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Graph {
    pub nodes: Vec<Bucket>,
    pub edges: Vec<Edge>,
    /// Results the graph was drawn from.
    pub messages: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub count: u64,
}

/// The sender → recipient graph of a query's results: the `max_nodes` busiest addresses and
/// the mail between them.
pub fn graph(s: &Searchable, q: &str, max_nodes: usize) -> Result<Graph, SearchError> {
    graph_within(s, q, max_nodes, crate::Bounds::STANDARD)
}

/// [`graph`] held to other bounds.
pub fn graph_within(
    s: &Searchable,
    q: &str,
    max_nodes: usize,
    bounds: crate::Bounds,
) -> Result<Graph, SearchError> {
    let budget = crate::bounds::Budget::new(bounds, q);
    let searcher = s.index.searcher()?;
    let query = s.plan(&searcher, q, &budget)?.query;
    let w = crate::bounds::weight(&searcher, &*query, false, &budget)?;
    let (pairs, messages) = crate::bounds::collect(&searcher, &*w, &PairCollector, &budget)?;
    let mut weight: HashMap<&str, u64> = HashMap::new();
    for ((f, t), n) in &pairs {
        *weight.entry(f).or_default() += *n;
        *weight.entry(t).or_default() += *n;
    }
    let mut nodes: Vec<Bucket> = weight
        .into_iter()
        .map(|(v, c)| Bucket {
            value: v.to_owned(),
            count: c,
        })
        .collect();
    nodes.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    nodes.truncate(max_nodes);
    let keep: std::collections::HashSet<&str> = nodes.iter().map(|n| n.value.as_str()).collect();
    let mut edges: Vec<Edge> = pairs
        .iter()
        .filter(|((f, t), _)| keep.contains(f.as_str()) && keep.contains(t.as_str()) && f != t)
        .map(|((f, t), n)| Edge {
            from: f.clone(),
            to: t.clone(),
            count: *n,
        })
        .collect();
    edges.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.from.cmp(&b.from))
            .then(a.to.cmp(&b.to))
    });
    edges.truncate(max_nodes * 4);
    Ok(Graph {
        nodes,
        edges,
        messages,
    })
}

struct PairCollector;

struct SegPairs {
    from: Option<StrColumn>,
    to: Option<StrColumn>,
    pairs: HashMap<(u64, u64), u64>,
    docs: u64,
}

impl Collector for PairCollector {
    type Fruit = (BTreeMap<(String, String), u64>, u64);
    type Child = SegPairs;

    fn for_segment(&self, _: SegmentOrdinal, seg: &SegmentReader) -> tantivy::Result<SegPairs> {
        Ok(SegPairs {
            from: seg.fast_fields().str("from_addr")?,
            to: seg.fast_fields().str("rcpt_addr")?,
            pairs: HashMap::new(),
            docs: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut all = BTreeMap::new();
        let mut docs = 0;
        for (f, n) in fruits {
            docs += n;
            for (k, v) in f {
                *all.entry(k).or_default() += v;
            }
        }
        Ok((all, docs))
    }
}

impl SegmentCollector for SegPairs {
    type Fruit = (BTreeMap<(String, String), u64>, u64);

    fn collect(&mut self, doc: DocId, _: Score) {
        self.docs += 1;
        let (Some(f), Some(t)) = (&self.from, &self.to) else {
            return;
        };
        for fo in f.ords().values_for_doc(doc) {
            for to in t.ords().values_for_doc(doc) {
                *self.pairs.entry((fo, to)).or_default() += 1;
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        let mut out = BTreeMap::new();
        let (Some(f), Some(t)) = (&self.from, &self.to) else {
            return (out, self.docs);
        };
        let name = |col: &StrColumn, ord: u64| {
            let mut s = String::new();
            col.ord_to_str(ord, &mut s).ok().map(|_| s)
        };
        let mut fcache: HashMap<u64, Option<String>> = HashMap::new();
        let mut tcache: HashMap<u64, Option<String>> = HashMap::new();
        for ((fo, to), n) in self.pairs {
            let fs = fcache.entry(fo).or_insert_with(|| name(f, fo)).clone();
            let ts = tcache.entry(to).or_insert_with(|| name(t, to)).clone();
            if let (Some(fs), Some(ts)) = (fs, ts) {
                *out.entry((fs, ts)).or_default() += n;
            }
        }
        (out, self.docs)
    }
}
