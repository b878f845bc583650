//! The population: custodians (mailbox owners), other staff and outside correspondents.

use std::collections::BTreeSet;

use crate::Layout;
use crate::mime::ascii_fold;
use crate::rng::{Rand, Zipf, below, chance, pick_str, range, stream, weighted};
use crate::text::{Lexicon, phone};
use crate::vocab;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Internal,
    Webmail,
    Supplier(usize),
    Foreign(usize),
}

/// Mail client: decides header order, Message-ID shape, quoting style and boundaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Client {
    Outlook2007,
    Outlook2010,
    Outlook2016,
    Thunderbird,
    Notes,
    Gmail,
    Hotmail,
    IPhone,
}

impl Client {
    pub fn is_outlook(self) -> bool {
        matches!(
            self,
            Client::Outlook2007 | Client::Outlook2010 | Client::Outlook2016 | Client::Hotmail
        )
    }
}

#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub first: String,
    pub surname: String,
    pub rank: &'static str,
    /// Display name as it appears in From/To.
    pub display: String,
    pub email: String,
    pub login: String,
    pub unit: usize,
    pub cargo: &'static str,
    pub org: String,
    pub kind: Kind,
    pub client: Client,
    pub custodian: Option<u32>,
    pub phone: String,
    pub english: bool,
}

#[derive(Debug, Clone)]
pub struct Custodian {
    pub person: usize,
    pub login: String,
    pub layout: Layout,
    pub crlf: bool,
    pub archive_years: Vec<i32>,
    pub respaldo: bool,
    pub dovecot_names: bool,
    pub host: String,
}

#[derive(Debug)]
pub struct World {
    pub seed: u64,
    pub people: Vec<Person>,
    pub custodians: Vec<Custodian>,
    cust_order: Vec<u32>,
    cust_zipf: Zipf,
    pub internal: Vec<usize>,
    pub webmail: Vec<usize>,
    pub suppliers: Vec<usize>,
    pub foreign: Vec<usize>,
    pub lex: Lexicon,
}

fn rank_pick(rng: &mut Rand) -> &'static str {
    let weights: Vec<u32> = vocab::RANKS.iter().map(|r| r.1).collect();
    vocab::RANKS
        .get(weighted(rng, &weights))
        .map(|r| r.0)
        .unwrap_or("Lic.")
}

fn internal_client(rng: &mut Rand) -> Client {
    match below(rng, 20) {
        0..=5 => Client::Outlook2007,
        6..=12 => Client::Outlook2010,
        13..=16 => Client::Outlook2016,
        17 | 18 => Client::Thunderbird,
        _ => Client::Notes,
    }
}

pub fn custodian_count(messages: usize) -> usize {
    (8 + messages / 2500).clamp(8, 240)
}

impl World {
    pub fn new(seed: u64, messages: usize, layouts: &[Layout]) -> World {
        let mut rng = stream(seed, 2, 0);
        let n_cust = custodian_count(messages);
        let n_internal = n_cust * 4 + 24;
        let mut people: Vec<Person> = Vec::new();
        let mut logins: BTreeSet<String> = BTreeSet::new();

        let mut unique_login = |base: String| -> String {
            let base = if base.is_empty() {
                "usuario".to_string()
            } else {
                base
            };
            if logins.insert(base.clone()) {
                return base;
            }
            let mut k = 2;
            loop {
                let cand = format!("{base}{k}");
                if logins.insert(cand.clone()) {
                    return cand;
                }
                k += 1;
            }
        };

        for i in 0..(n_cust + n_internal) {
            let female = chance(&mut rng, 0.22);
            let first = if female {
                pick_str(&mut rng, vocab::GIVEN_F)
            } else {
                pick_str(&mut rng, vocab::GIVEN_M)
            };
            let s1 = pick_str(&mut rng, vocab::SURNAMES);
            let mut s2 = pick_str(&mut rng, vocab::SURNAMES);
            if s2 == s1 {
                s2 = pick_str(&mut rng, vocab::SURNAMES);
            }
            let name = format!("{first} {s1} {s2}");
            let mut rank = rank_pick(&mut rng);
            if female && rank == "Mtra." {
                rank = "Mtra.";
            } else if !female && rank == "Mtra." {
                rank = "Lic.";
            }
            let display = match below(&mut rng, 10) {
                0..=4 if !rank.is_empty() => format!("{rank} {name}"),
                5 | 6 => format!("{s1} {s2} {first}"),
                7 if !rank.is_empty() => format!("{name} ({rank})"),
                _ => name.clone(),
            };
            let fi = ascii_fold(first)
                .to_lowercase()
                .chars()
                .next()
                .unwrap_or('x');
            let login_base = format!("{fi}{}", ascii_fold(s1).to_lowercase().replace(' ', ""));
            let login = unique_login(login_base);
            let domain = if chance(&mut rng, 0.8) {
                vocab::INTERNAL_DOMAINS[0]
            } else {
                vocab::INTERNAL_DOMAINS[1]
            };
            let unit = below(&mut rng, vocab::UNITS.len());
            people.push(Person {
                email: format!("{login}@{domain}"),
                login,
                name,
                first: first.to_string(),
                surname: format!("{s1} {s2}"),
                rank,
                display,
                unit,
                cargo: pick_str(&mut rng, vocab::CARGOS),
                org: vocab::UNITS
                    .get(unit)
                    .map(|u| u.0.to_string())
                    .unwrap_or_default(),
                kind: Kind::Internal,
                client: internal_client(&mut rng),
                custodian: if i < n_cust { Some(i as u32) } else { None },
                phone: phone(&mut rng),
                english: false,
            });
        }

        let mut webmail = Vec::new();
        for _ in 0..(12 + n_cust) {
            let female = chance(&mut rng, 0.4);
            let first = if female {
                pick_str(&mut rng, vocab::GIVEN_F)
            } else {
                pick_str(&mut rng, vocab::GIVEN_M)
            };
            let s1 = pick_str(&mut rng, vocab::SURNAMES);
            let f = ascii_fold(first).to_lowercase().replace(' ', "");
            let s = ascii_fold(s1).to_lowercase();
            let local = match below(&mut rng, 4) {
                0 => format!("{f}.{s}{}", range(&mut rng, 60, 99)),
                1 => format!(
                    "{}{s}_{}",
                    f.chars().next().unwrap_or('x'),
                    range(&mut rng, 1, 999)
                ),
                2 => format!("{f}{s}"),
                _ => format!("{s}.{f}.{}", range(&mut rng, 1970, 1999)),
            };
            let local = unique_login(local);
            let domain = pick_str(&mut rng, vocab::WEBMAIL_DOMAINS);
            let client = if domain == "gmail.com" {
                if chance(&mut rng, 0.3) {
                    Client::IPhone
                } else {
                    Client::Gmail
                }
            } else if domain == "hotmail.com" || domain == "outlook.com" {
                Client::Hotmail
            } else {
                Client::Thunderbird
            };
            webmail.push(people.len());
            people.push(Person {
                email: format!("{local}@{domain}"),
                login: local,
                name: format!("{first} {s1}"),
                first: first.to_string(),
                surname: s1.to_string(),
                rank: "",
                display: if chance(&mut rng, 0.8) {
                    format!("{first} {s1}")
                } else {
                    String::new()
                },
                unit: 0,
                cargo: "",
                org: String::new(),
                kind: Kind::Webmail,
                client,
                custodian: None,
                phone: phone(&mut rng),
                english: false,
            });
        }

        let mut suppliers = Vec::new();
        for (si, (company, domain)) in vocab::SUPPLIERS.iter().enumerate() {
            for _ in 0..2 {
                let first = pick_str(&mut rng, vocab::GIVEN_M);
                let s1 = pick_str(&mut rng, vocab::SURNAMES);
                let local = unique_login(format!(
                    "{}.{}",
                    ascii_fold(first).to_lowercase().replace(' ', ""),
                    ascii_fold(s1).to_lowercase()
                ));
                let title = if chance(&mut rng, 0.5) {
                    "Ing."
                } else {
                    "Lic."
                };
                suppliers.push(people.len());
                people.push(Person {
                    email: format!("{local}@{domain}"),
                    login: local,
                    name: format!("{first} {s1}"),
                    first: first.to_string(),
                    surname: s1.to_string(),
                    rank: title,
                    display: format!("{title} {first} {s1}"),
                    unit: 0,
                    cargo: "Gerente de Ventas Gobierno",
                    org: company.to_string(),
                    kind: Kind::Supplier(si),
                    client: if chance(&mut rng, 0.7) {
                        Client::Outlook2010
                    } else {
                        Client::Gmail
                    },
                    custodian: None,
                    phone: phone(&mut rng),
                    english: false,
                });
            }
        }

        let mut foreign = Vec::new();
        for (fi, (org, domain)) in vocab::FOREIGN_ORGS.iter().enumerate() {
            for _ in 0..2 {
                let first = pick_str(&mut rng, vocab::EN_GIVEN);
                let last = pick_str(&mut rng, vocab::EN_SURNAMES);
                let local = unique_login(format!(
                    "{}{}",
                    first.to_lowercase().chars().next().unwrap_or('x'),
                    last.to_lowercase()
                ));
                let title = if org.contains("Attach") { "Col." } else { "" };
                foreign.push(people.len());
                people.push(Person {
                    email: format!("{local}@{domain}"),
                    login: local,
                    name: format!("{first} {last}"),
                    first: first.to_string(),
                    surname: last.to_string(),
                    rank: title,
                    display: format!("{first} {last}"),
                    unit: 0,
                    cargo: if title.is_empty() {
                        "Regional Sales Director"
                    } else {
                        "Defense Attaché"
                    },
                    org: org.to_string(),
                    kind: Kind::Foreign(fi),
                    client: if chance(&mut rng, 0.6) {
                        Client::Outlook2016
                    } else {
                        Client::IPhone
                    },
                    custodian: None,
                    phone: format!(
                        "+1 {} 555 {:04}",
                        range(&mut rng, 202, 989),
                        range(&mut rng, 0, 9999)
                    ),
                    english: true,
                });
            }
        }

        let layouts: Vec<Layout> = if layouts.is_empty() {
            vec![Layout::Eml]
        } else {
            layouts.to_vec()
        };
        let mut custodians = Vec::with_capacity(n_cust);
        for c in 0..n_cust {
            let layout = layouts[c % layouts.len()];
            let crlf = match layout {
                Layout::Eml => chance(&mut rng, 0.7),
                Layout::Zip => chance(&mut rng, 0.8),
                Layout::Maildir => chance(&mut rng, 0.1),
                Layout::Mbox => chance(&mut rng, 0.15),
            };
            let mut archive_years = Vec::new();
            let n_arch = below(&mut rng, 3);
            for _ in 0..n_arch {
                let y = range(&mut rng, 2010, 2021) as i32;
                if !archive_years.contains(&y) {
                    archive_years.push(y);
                }
            }
            archive_years.sort_unstable();
            let login = people[c].login.clone();
            custodians.push(Custodian {
                person: c,
                login,
                layout,
                crlf,
                archive_years,
                respaldo: layout == Layout::Zip && chance(&mut rng, 0.6),
                dovecot_names: chance(&mut rng, 0.5),
                host: format!("buzon{:02}.sedena.gob.mx", range(&mut rng, 1, 12)),
            });
        }
        // Activity: a Zipf over a shuffled order of custodians.
        let mut cust_order: Vec<u32> = (0..n_cust as u32).collect();
        for i in (1..cust_order.len()).rev() {
            let j = below(&mut rng, i + 1);
            cust_order.swap(i, j);
        }
        let internal: Vec<usize> = (n_cust..n_cust + n_internal).collect();
        World {
            seed,
            people,
            custodians,
            cust_zipf: Zipf::new(n_cust, 0.5, 1.0),
            cust_order,
            internal,
            webmail,
            suppliers,
            foreign,
            lex: Lexicon::new(),
        }
    }

    /// A custodian's person index, weighted by activity.
    pub fn custodian_person(&self, rng: &mut Rand) -> usize {
        let r = self.cust_zipf.sample(rng);
        let c = self.cust_order.get(r).copied().unwrap_or(0) as usize;
        self.custodians.get(c).map(|c| c.person).unwrap_or(0)
    }

    pub fn internal_person(&self, rng: &mut Rand) -> usize {
        if chance(rng, 0.45) {
            self.custodian_person(rng)
        } else {
            *crate::rng::pick(rng, &self.internal, &0)
        }
    }

    pub fn person(&self, i: usize) -> &Person {
        // Indices are always produced by this world; fall back to the first person defensively.
        self.people.get(i).unwrap_or(&self.people[0])
    }
}
