//! Sentence and document text: formal Spanish built from inflected word banks (Zipf-weighted,
//! so term frequencies look like real mail), plus a small English generator.

use crate::rng::{Rand, Zipf, below, chance, pick_str, range};
use crate::vocab;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Gender {
    M,
    F,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Num {
    Sg,
    Pl,
}

#[derive(Debug)]
struct Noun {
    g: Gender,
    sg: String,
    pl: String,
}

#[derive(Debug)]
struct Adj {
    /// ms, fs, mp, fp
    forms: [String; 4],
}

impl Adj {
    fn get(&self, g: Gender, n: Num) -> &str {
        let i = match (g, n) {
            (Gender::M, Num::Sg) => 0,
            (Gender::F, Num::Sg) => 1,
            (Gender::M, Num::Pl) => 2,
            (Gender::F, Num::Pl) => 3,
        };
        &self.forms[i]
    }
}

#[derive(Debug)]
struct Verb {
    inf: String,
    pres3s: String,
    pres3p: String,
    pret3s: String,
    pret3p: String,
    part: Adj,
    ger: String,
    fut3s: String,
    fut3p: String,
    subj3s: String,
    subj3p: String,
}

/// Irregular verbs: inf, pres3s, pret3s, pret3p, participle (ms), gerund, fut3s, subj3s.
const IRREGULAR: &[[&str; 8]] = &[
    [
        "detener",
        "detiene",
        "detuvo",
        "detuvieron",
        "detenido",
        "deteniendo",
        "detendrá",
        "detenga",
    ],
    [
        "proponer",
        "propone",
        "propuso",
        "propusieron",
        "propuesto",
        "proponiendo",
        "propondrá",
        "proponga",
    ],
    [
        "exponer",
        "expone",
        "expuso",
        "expusieron",
        "expuesto",
        "exponiendo",
        "expondrá",
        "exponga",
    ],
    [
        "prevenir",
        "previene",
        "previno",
        "previnieron",
        "prevenido",
        "previniendo",
        "prevendrá",
        "prevenga",
    ],
    [
        "reducir",
        "reduce",
        "redujo",
        "redujeron",
        "reducido",
        "reduciendo",
        "reducirá",
        "reduzca",
    ],
    [
        "sugerir",
        "sugiere",
        "sugirió",
        "sugirieron",
        "sugerido",
        "sugiriendo",
        "sugerirá",
        "sugiera",
    ],
    [
        "requerir",
        "requiere",
        "requirió",
        "requirieron",
        "requerido",
        "requiriendo",
        "requerirá",
        "requiera",
    ],
    [
        "advertir",
        "advierte",
        "advirtió",
        "advirtieron",
        "advertido",
        "advirtiendo",
        "advertirá",
        "advierta",
    ],
    [
        "transferir",
        "transfiere",
        "transfirió",
        "transfirieron",
        "transferido",
        "transfiriendo",
        "transferirá",
        "transfiera",
    ],
    [
        "devolver",
        "devuelve",
        "devolvió",
        "devolvieron",
        "devuelto",
        "devolviendo",
        "devolverá",
        "devuelva",
    ],
    [
        "distribuir",
        "distribuye",
        "distribuyó",
        "distribuyeron",
        "distribuido",
        "distribuyendo",
        "distribuirá",
        "distribuya",
    ],
    [
        "sustituir",
        "sustituye",
        "sustituyó",
        "sustituyeron",
        "sustituido",
        "sustituyendo",
        "sustituirá",
        "sustituya",
    ],
    [
        "concluir",
        "concluye",
        "concluyó",
        "concluyeron",
        "concluido",
        "concluyendo",
        "concluirá",
        "concluya",
    ],
    [
        "corregir",
        "corrige",
        "corrigió",
        "corrigieron",
        "corregido",
        "corrigiendo",
        "corregirá",
        "corrija",
    ],
    [
        "continuar",
        "continúa",
        "continuó",
        "continuaron",
        "continuado",
        "continuando",
        "continuará",
        "continúe",
    ],
    [
        "evaluar",
        "evalúa",
        "evaluó",
        "evaluaron",
        "evaluado",
        "evaluando",
        "evaluará",
        "evalúe",
    ],
    [
        "enviar", "envía", "envió", "enviaron", "enviado", "enviando", "enviará", "envíe",
    ],
    [
        "ampliar",
        "amplía",
        "amplió",
        "ampliaron",
        "ampliado",
        "ampliando",
        "ampliará",
        "amplíe",
    ],
    [
        "adquirir",
        "adquiere",
        "adquirió",
        "adquirieron",
        "adquirido",
        "adquiriendo",
        "adquirirá",
        "adquiera",
    ],
    [
        "prohibir",
        "prohíbe",
        "prohibió",
        "prohibieron",
        "prohibido",
        "prohibiendo",
        "prohibirá",
        "prohíba",
    ],
    [
        "desplegar",
        "despliega",
        "desplegó",
        "desplegaron",
        "desplegado",
        "desplegando",
        "desplegará",
        "despliegue",
    ],
    [
        "acordar",
        "acuerda",
        "acordó",
        "acordaron",
        "acordado",
        "acordando",
        "acordará",
        "acuerde",
    ],
    [
        "comprobar",
        "comprueba",
        "comprobó",
        "comprobaron",
        "comprobado",
        "comprobando",
        "comprobará",
        "compruebe",
    ],
    [
        "describir",
        "describe",
        "describió",
        "describieron",
        "descrito",
        "describiendo",
        "describirá",
        "describa",
    ],
    [
        "recomendar",
        "recomienda",
        "recomendó",
        "recomendaron",
        "recomendado",
        "recomendando",
        "recomendará",
        "recomiende",
    ],
    [
        "atender",
        "atiende",
        "atendió",
        "atendieron",
        "atendido",
        "atendiendo",
        "atenderá",
        "atienda",
    ],
    [
        "aprobar",
        "aprueba",
        "aprobó",
        "aprobaron",
        "aprobado",
        "aprobando",
        "aprobará",
        "apruebe",
    ],
    [
        "descontar",
        "descuenta",
        "descontó",
        "descontaron",
        "descontado",
        "descontando",
        "descontará",
        "descuente",
    ],
    [
        "reforzar",
        "refuerza",
        "reforzó",
        "reforzaron",
        "reforzado",
        "reforzando",
        "reforzará",
        "refuerce",
    ],
    [
        "imprimir",
        "imprime",
        "imprimió",
        "imprimieron",
        "impreso",
        "imprimiendo",
        "imprimirá",
        "imprima",
    ],
];

fn strip_accent(c: char) -> char {
    match c {
        'á' => 'a',
        'é' => 'e',
        'í' => 'i',
        'ó' => 'o',
        'ú' => 'u',
        _ => c,
    }
}

fn plural_of(sg: &str) -> String {
    let chars: Vec<char> = sg.chars().collect();
    let n = chars.len();
    let Some(&last) = chars.last() else {
        return String::new();
    };
    match last {
        'a' | 'e' | 'i' | 'o' | 'u' | 'á' | 'é' | 'ó' => format!("{sg}s"),
        'z' => {
            let mut s: String = chars[..n - 1].iter().collect();
            s.push_str("ces");
            s
        }
        'n' | 's' if n >= 2 && "áéíóú".contains(chars[n - 2]) => {
            let mut s: String = chars[..n - 2].iter().collect();
            s.push(strip_accent(chars[n - 2]));
            s.push(last);
            s.push_str("es");
            s
        }
        _ => format!("{sg}es"),
    }
}

fn adj_forms(base: &str) -> [String; 4] {
    if let Some(stem) = base.strip_suffix('o') {
        [
            base.to_string(),
            format!("{stem}a"),
            format!("{stem}os"),
            format!("{stem}as"),
        ]
    } else if base.ends_with('e') {
        let p = format!("{base}s");
        [base.to_string(), base.to_string(), p.clone(), p]
    } else if let Some(stem) = base.strip_suffix('z') {
        let p = format!("{stem}ces");
        [base.to_string(), base.to_string(), p.clone(), p]
    } else {
        let p = format!("{base}es");
        [base.to_string(), base.to_string(), p.clone(), p]
    }
}

fn regular_verb(inf: &str) -> Verb {
    let (stem, class) = if let Some(s) = inf.strip_suffix("ar") {
        (s, 'a')
    } else if let Some(s) = inf.strip_suffix("er") {
        (s, 'e')
    } else if let Some(s) = inf.strip_suffix("ir") {
        (s, 'i')
    } else {
        (inf, 'a')
    };
    let (pres, pret3s, pret3p, part, ger) = if class == 'a' {
        ("a", "ó", "aron", "ado", "ando")
    } else {
        ("e", "ió", "ieron", "ido", "iendo")
    };
    let subj = if class == 'a' {
        if let Some(s) = stem.strip_suffix('c') {
            format!("{s}que")
        } else if let Some(s) = stem.strip_suffix('g') {
            format!("{s}gue")
        } else if let Some(s) = stem.strip_suffix('z') {
            format!("{s}ce")
        } else {
            format!("{stem}e")
        }
    } else if let Some(s) = stem.strip_suffix('g') {
        format!("{s}ja")
    } else if let Some(s) = stem.strip_suffix('c') {
        // abastecer -> abastezca, ejercer -> ejerza
        if s.ends_with(['a', 'e', 'i', 'o', 'u']) {
            format!("{s}zca")
        } else {
            format!("{s}za")
        }
    } else {
        format!("{stem}a")
    };
    let part_ms = format!("{stem}{part}");
    Verb {
        inf: inf.to_string(),
        pres3s: format!("{stem}{pres}"),
        pres3p: format!("{stem}{pres}n"),
        pret3s: format!("{stem}{pret3s}"),
        pret3p: format!("{stem}{pret3p}"),
        part: Adj {
            forms: adj_forms(&part_ms),
        },
        ger: format!("{stem}{ger}"),
        fut3s: format!("{inf}á"),
        fut3p: format!("{inf}án"),
        subj3p: format!("{subj}n"),
        subj3s: subj,
    }
}

fn make_verb(inf: &str) -> Verb {
    if let Some(f) = IRREGULAR.iter().find(|f| f[0] == inf) {
        let fut3s = f[6].to_string();
        Verb {
            inf: inf.to_string(),
            pres3s: f[1].to_string(),
            pres3p: format!("{}n", f[1]),
            pret3s: f[2].to_string(),
            pret3p: f[3].to_string(),
            part: Adj {
                forms: adj_forms(f[4]),
            },
            ger: f[5].to_string(),
            fut3p: format!("{fut3s}n"),
            fut3s,
            subj3s: f[7].to_string(),
            subj3p: format!("{}n", f[7]),
        }
    } else {
        regular_verb(inf)
    }
}

/// Inflected banks plus their Zipf samplers; built once per run and shared read-only.
#[derive(Debug)]
pub struct Lexicon {
    nouns: Vec<Noun>,
    nz: Zipf,
    adjs: Vec<Adj>,
    az: Zipf,
    verbs: Vec<Verb>,
    vz: Zipf,
    advz: Zipf,
    placez: Zipf,
    en_nz: Zipf,
    en_az: Zipf,
    en_vz: Zipf,
}

impl Default for Lexicon {
    fn default() -> Self {
        Self::new()
    }
}

impl Lexicon {
    pub fn new() -> Lexicon {
        let nouns: Vec<Noun> = vocab::NOUNS
            .iter()
            .map(|spec| {
                let mut it = spec.split(':');
                let g = if it.next() == Some("f") {
                    Gender::F
                } else {
                    Gender::M
                };
                let sg = it.next().unwrap_or("asunto").to_string();
                let pl = match it.next() {
                    Some(p) => p.to_string(),
                    None => plural_of(&sg),
                };
                Noun { g, sg, pl }
            })
            .collect();
        let adjs: Vec<Adj> = vocab::ADJECTIVES
            .iter()
            .map(|a| Adj {
                forms: adj_forms(a),
            })
            .collect();
        let verbs: Vec<Verb> = vocab::VERBS.iter().map(|v| make_verb(v)).collect();
        Lexicon {
            nz: Zipf::new(nouns.len(), 1.0, 2.0),
            az: Zipf::new(adjs.len(), 1.0, 2.0),
            vz: Zipf::new(verbs.len(), 1.0, 2.0),
            advz: Zipf::new(vocab::ADVERBS.len(), 1.0, 1.0),
            placez: Zipf::new(vocab::PLACES.len(), 1.0, 1.0),
            en_nz: Zipf::new(vocab::EN_NOUNS.len(), 1.0, 2.0),
            en_az: Zipf::new(vocab::EN_ADJECTIVES.len(), 1.0, 1.0),
            en_vz: Zipf::new(vocab::EN_VERBS.len(), 1.0, 1.0),
            nouns,
            adjs,
            verbs,
        }
    }

    fn noun(&self, rng: &mut Rand) -> &Noun {
        let i = self.nz.sample(rng);
        &self.nouns[i.min(self.nouns.len() - 1)]
    }
    fn adj(&self, rng: &mut Rand) -> &Adj {
        let i = self.az.sample(rng);
        &self.adjs[i.min(self.adjs.len() - 1)]
    }
    fn verb(&self, rng: &mut Rand) -> &Verb {
        let i = self.vz.sample(rng);
        &self.verbs[i.min(self.verbs.len() - 1)]
    }
    pub fn adverb(&self, rng: &mut Rand) -> &'static str {
        vocab::ADVERBS
            .get(self.advz.sample(rng))
            .copied()
            .unwrap_or("oportunamente")
    }
    pub fn place(&self, rng: &mut Rand) -> (&'static str, &'static str) {
        vocab::PLACES
            .get(self.placez.sample(rng))
            .copied()
            .unwrap_or(("Ciudad de México", "Ciudad de México"))
    }

    /// "City, State" (or just the city when both are the same).
    pub fn place_str(&self, rng: &mut Rand) -> String {
        let (c, st) = self.place(rng);
        if c == st {
            c.to_string()
        } else {
            format!("{c}, {st}")
        }
    }

    /// A Spanish noun phrase with its agreement features.
    fn np(&self, rng: &mut Rand, depth: u8) -> (String, Gender, Num) {
        let noun = self.noun(rng);
        let num = if chance(rng, 0.68) { Num::Sg } else { Num::Pl };
        let word = if num == Num::Sg { &noun.sg } else { &noun.pl };
        let g = noun.g;
        let el_fem = g == Gender::F
            && num == Num::Sg
            && matches!(noun.sg.as_str(), "arma" | "acta" | "área" | "aula" | "alta");
        let det = match below(rng, 20) {
            0..=11 => match (g, num) {
                _ if el_fem => "el",
                (Gender::M, Num::Sg) => "el",
                (Gender::F, Num::Sg) => "la",
                (Gender::M, Num::Pl) => "los",
                (Gender::F, Num::Pl) => "las",
            },
            12..=14 => match (g, num) {
                _ if el_fem => "un",
                (Gender::M, Num::Sg) => "un",
                (Gender::F, Num::Sg) => "una",
                (Gender::M, Num::Pl) => "unos",
                (Gender::F, Num::Pl) => "unas",
            },
            15..=16 => match (g, num) {
                (Gender::M, Num::Sg) => "dicho",
                (Gender::F, Num::Sg) => "dicha",
                (Gender::M, Num::Pl) => "dichos",
                (Gender::F, Num::Pl) => "dichas",
            },
            17 => match (g, num) {
                (Gender::M, Num::Sg) => "este",
                (Gender::F, Num::Sg) => "esta",
                (Gender::M, Num::Pl) => "estos",
                (Gender::F, Num::Pl) => "estas",
            },
            _ => match (g, num) {
                (Gender::M, Num::Sg) => "el citado",
                (Gender::F, Num::Sg) => "la citada",
                (Gender::M, Num::Pl) => "los citados",
                (Gender::F, Num::Pl) => "las citadas",
            },
        };
        let mut s = String::with_capacity(48);
        s.push_str(det);
        s.push(' ');
        s.push_str(word);
        if chance(rng, 0.5) {
            s.push(' ');
            s.push_str(self.adj(rng).get(g, num));
        }
        if depth == 0 && chance(rng, 0.3) {
            let (inner, _, _) = self.np(rng, 1);
            s.push(' ');
            s.push_str(&contract("de", &inner));
        }
        (s, g, num)
    }

    fn pp(&self, rng: &mut Rand) -> String {
        match below(rng, 14) {
            0 | 1 => format!("en {}", self.place_str(rng)),
            2 => contract("con", &self.np(rng, 1).0),
            3 => contract("para", &self.np(rng, 1).0),
            4 => format!("durante el ejercicio fiscal {}", range(rng, 2010, 2022)),
            5 => contract("conforme a", &self.np(rng, 1).0),
            6 => format!("por un monto de {}", amount(rng)),
            7 => contract("a cargo de", &self.np(rng, 1).0),
            8 => format!("en coordinación con {}", unit_with_article(rng)),
            9 => contract("de acuerdo con", &self.np(rng, 1).0),
            10 => format!("a más tardar el {}", date_es(rng)),
            _ => String::new(),
        }
    }

    /// One formal Spanish sentence (capitalised, with final period).
    pub fn sentence_es(&self, rng: &mut Rand) -> String {
        let s = match below(rng, 13) {
            0 => {
                let v = self.verb(rng);
                let (o, _, _) = self.np(rng, 0);
                format!("me permito {} a usted {} {}", v.inf, o, self.pp(rng))
            }
            1 | 2 => {
                let v = self.verb(rng);
                let (o, _, n) = self.np(rng, 0);
                let vf = if n == Num::Sg { &v.pres3s } else { &v.pres3p };
                format!("se {vf} {o} {}", self.pp(rng))
            }
            3 | 4 => {
                let c = pick_str(rng, vocab::CONNECTORS);
                let (s, _, n) = self.np(rng, 0);
                let v = self.verb(rng);
                let (o, _, _) = self.np(rng, 1);
                let vf = if n == Num::Sg { &v.pres3s } else { &v.pres3p };
                let sep = if c.ends_with("que") { " " } else { ", " };
                format!("{c}{sep}{s} {vf} {o} {}", self.pp(rng))
            }
            5 => {
                let (s, g, n) = self.np(rng, 0);
                let v = self.verb(rng);
                let aux = if n == Num::Sg { "fue" } else { "fueron" };
                format!(
                    "{s} {aux} {} {} el pasado {}",
                    v.part.get(g, n),
                    self.pp(rng),
                    date_es(rng)
                )
            }
            6 => {
                let (s, _, n) = self.np(rng, 0);
                let v = self.verb(rng);
                let (o, _, _) = self.np(rng, 1);
                let pl = self.place_str(rng);
                let vf = if n == Num::Sg { &v.pret3s } else { &v.pret3p };
                format!(
                    "se informa que el día {} {s} {vf} {o} en {pl}",
                    date_es(rng)
                )
            }
            7 => {
                let v = self.verb(rng);
                let (o, _, _) = self.np(rng, 0);
                format!(
                    "es necesario {} {o} {} {}",
                    v.inf,
                    self.adverb(rng),
                    self.pp(rng)
                )
            }
            8 => {
                let (o, _, n) = self.np(rng, 0);
                let a = if n == Num::Sg { "anexa" } else { "anexan" };
                format!("se {a} {o} para su conocimiento y efectos procedentes")
            }
            9 => {
                let (s, _, n) = self.np(rng, 0);
                let v = self.verb(rng);
                let vf = if n == Num::Sg { &v.subj3s } else { &v.subj3p };
                format!(
                    "se solicita que {s} se {vf} {} {}",
                    self.adverb(rng),
                    self.pp(rng)
                )
            }
            10 => {
                let (o, _, n) = self.np(rng, 0);
                let v = self.verb(rng);
                let aux = if n == Num::Sg { "está" } else { "están" };
                format!(
                    "actualmente se {aux} {} {o} en coordinación con {}",
                    v.ger,
                    unit_with_article(rng)
                )
            }
            11 => {
                let (s, _, n) = self.np(rng, 0);
                let v = self.verb(rng);
                let (o, _, _) = self.np(rng, 1);
                let vf = if n == Num::Sg { &v.fut3s } else { &v.fut3p };
                format!("{s} {vf} {o} a más tardar el {}", date_es(rng))
            }
            _ => {
                let (s, g, n) = self.np(rng, 0);
                let a = self.adj(rng);
                let cop = if n == Num::Sg {
                    "se encuentra"
                } else {
                    "se encuentran"
                };
                format!("{s} {cop} {} {}", a.get(g, n), self.pp(rng))
            }
        };
        finish_sentence(&s)
    }

    /// An English sentence; some start with "From " on purpose (mbox escaping).
    pub fn sentence_en(&self, rng: &mut Rand) -> String {
        let n = |rng: &mut Rand| {
            vocab::EN_NOUNS
                .get(self.en_nz.sample(rng))
                .copied()
                .unwrap_or("report")
        };
        let a = |rng: &mut Rand| {
            vocab::EN_ADJECTIVES
                .get(self.en_az.sample(rng))
                .copied()
                .unwrap_or("new")
        };
        let v = |rng: &mut Rand| {
            vocab::EN_VERBS
                .get(self.en_vz.sample(rng))
                .copied()
                .unwrap_or(("send", "sent"))
        };
        match below(rng, 9) {
            0 => format!(
                "Please find attached the {} {} for the {}.",
                a(rng),
                n(rng),
                n(rng)
            ),
            1 => format!(
                "We would like to {} the {} with your team next {}.",
                v(rng).0,
                n(rng),
                pick_str(rng, vocab::DAYS_EN)
            ),
            2 => format!(
                "The {} {} was {} on {}.",
                a(rng),
                n(rng),
                v(rng).1,
                date_en(rng)
            ),
            3 => format!(
                "From the attached report you will see that the {} has been {}.",
                n(rng),
                v(rng).1
            ),
            4 => format!(
                "Could you please {} the {} {} before the end of the {}?",
                v(rng).0,
                a(rng),
                n(rng),
                n(rng)
            ),
            5 => format!(
                "Our {} team has {} the {} and the {} is ready.",
                n(rng),
                v(rng).1,
                n(rng),
                n(rng)
            ),
            6 => format!("The total {} amounts to USD {}.", n(rng), usd(rng)),
            7 => format!(
                "From our side, the {} {} can be {} within {} weeks.",
                a(rng),
                n(rng),
                v(rng).1,
                range(rng, 2, 12)
            ),
            _ => format!(
                "Let me know if you need any {} {} regarding the {}.",
                a(rng),
                n(rng),
                n(rng)
            ),
        }
    }

    pub fn paragraph_en(&self, rng: &mut Rand, k: usize) -> String {
        let mut p = String::with_capacity(k * 80);
        for i in 0..k {
            if i > 0 {
                p.push(' ');
            }
            p.push_str(&self.sentence_en(rng));
        }
        p
    }

    /// Topic noun phrase for subjects ("adquisición de vehículos blindados").
    pub fn topic_np(&self, rng: &mut Rand) -> String {
        let noun = self.noun(rng);
        let num = if chance(rng, 0.7) { Num::Sg } else { Num::Pl };
        let mut s = if num == Num::Sg {
            noun.sg.clone()
        } else {
            noun.pl.clone()
        };
        if chance(rng, 0.5) {
            s.push(' ');
            s.push_str(self.adj(rng).get(noun.g, num));
        }
        if chance(rng, 0.4) {
            let n2 = self.noun(rng);
            s.push_str(" de ");
            s.push_str(if chance(rng, 0.5) { &n2.sg } else { &n2.pl });
        }
        s
    }

    pub fn en_topic(&self, rng: &mut Rand) -> String {
        let n1 = vocab::EN_NOUNS
            .get(self.en_nz.sample(rng))
            .copied()
            .unwrap_or("report");
        let a = vocab::EN_ADJECTIVES
            .get(self.en_az.sample(rng))
            .copied()
            .unwrap_or("new");
        format!("{a} {n1}")
    }
}

/// "de el" -> "del", "a el" -> "al".
pub fn contract(prep: &str, np: &str) -> String {
    if let Some(rest) = np.strip_prefix("el ") {
        if prep == "de" || prep.ends_with(" de") {
            return format!("{}l {rest}", prep);
        }
        if prep == "a" || prep.ends_with(" a") {
            return format!("{}l {rest}", prep);
        }
    }
    format!("{prep} {np}")
}

fn finish_sentence(s: &str) -> String {
    let collapsed;
    let t = if s.contains("  ") {
        collapsed = s
            .split(' ')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        collapsed.as_str()
    } else {
        s
    };
    let t = t.trim_end().trim_end_matches('.');
    let mut out = String::with_capacity(t.len() + 2);
    let mut chars = t.chars();
    if let Some(c) = chars.next() {
        out.extend(c.to_uppercase());
    }
    out.push_str(chars.as_str());
    out.push('.');
    out
}

pub fn unit_name(rng: &mut Rand) -> &'static str {
    vocab::UNITS
        .get(below(rng, vocab::UNITS.len()))
        .map(|u| u.0)
        .unwrap_or("Estado Mayor de la Defensa Nacional")
}

/// A unit with its article: "la Dirección General de Administración", "el Estado Mayor ...".
pub fn unit_with_article(rng: &mut Rand) -> String {
    let u = unit_name(rng);
    let fem = [
        "Dirección",
        "Unidad",
        "Zona",
        "Región",
        "Fábrica",
        "Fuerza",
        "S-",
    ]
    .iter()
    .any(|w| u.contains(w));
    format!("{} {u}", if fem { "la" } else { "el" })
}

/// Thousands-separated integer.
pub fn thousands(mut n: u64) -> String {
    let mut groups = Vec::new();
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let mut s = String::new();
    for (i, g) in groups.iter().rev().enumerate() {
        if i == 0 {
            s.push_str(&g.to_string());
        } else {
            s.push_str(&format!(",{g:03}"));
        }
    }
    s
}

pub fn amount(rng: &mut Rand) -> String {
    let mag = range(rng, 3, 9) as u32;
    let v = range(rng, 10u64.pow(mag - 1), 10u64.pow(mag) - 1);
    format!("${}.{:02} M.N.", thousands(v), range(rng, 0, 99))
}

pub fn usd(rng: &mut Rand) -> String {
    let v = range(rng, 5_000, 9_000_000);
    format!("{}.00", thousands(v))
}

pub fn date_es(rng: &mut Rand) -> String {
    let m = below(rng, 12);
    format!(
        "{} de {} de {}",
        range(rng, 1, 28),
        vocab::MONTHS_ES[m],
        range(rng, 2010, 2022)
    )
}

pub fn date_en(rng: &mut Rand) -> String {
    let m = below(rng, 12);
    format!(
        "{} {}, {}",
        vocab::MONTHS_EN[m],
        range(rng, 1, 28),
        range(rng, 2010, 2022)
    )
}

pub fn phone(rng: &mut Rand) -> String {
    match below(rng, 4) {
        0 => format!(
            "+52 55 {:04} {:04}",
            range(rng, 2000, 5999),
            range(rng, 0, 9999)
        ),
        1 => format!(
            "+52 1 {} {:03} {:04}",
            pick_str(rng, &["667", "81", "33", "664", "656", "744", "443", "998"]),
            range(rng, 100, 999),
            range(rng, 0, 9999)
        ),
        2 => format!(
            "(55) 2122 {:04} ext. {}",
            range(rng, 0, 9999),
            range(rng, 1000, 9999)
        ),
        _ => format!("+52 55 5387 {:04}", range(rng, 0, 9999)),
    }
}

const STATE_CODES: &[&str] = &[
    "DF", "SL", "NL", "JC", "BC", "CH", "TS", "GR", "MN", "SR", "YN", "OC", "CS", "VZ", "PL", "MC",
    "DG", "ZS",
];

fn letters(rng: &mut Rand, n: usize, set: &[u8]) -> String {
    (0..n)
        .map(|_| {
            set.get(below(rng, set.len()))
                .copied()
                .map(char::from)
                .unwrap_or('X')
        })
        .collect()
}

/// CURP-shaped identifier (18 characters).
pub fn curp(rng: &mut Rand) -> String {
    const UP: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const VOW: &[u8] = b"AEIOU";
    const CONS: &[u8] = b"BCDFGHJKLMNPQRSTVWXYZ";
    format!(
        "{}{}{}{:02}{:02}{:02}{}{}{}{}{}",
        letters(rng, 1, UP),
        letters(rng, 1, VOW),
        letters(rng, 2, UP),
        range(rng, 50, 99),
        range(rng, 1, 12),
        range(rng, 1, 28),
        if chance(rng, 0.85) { 'H' } else { 'M' },
        pick_str(rng, STATE_CODES),
        letters(rng, 3, CONS),
        letters(rng, 1, b"0123456789A"),
        range(rng, 0, 9)
    )
}

/// RFC-shaped (tax id) identifier (13 characters).
pub fn rfc(rng: &mut Rand) -> String {
    const UP: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const ALNUM: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    format!(
        "{}{:02}{:02}{:02}{}",
        letters(rng, 4, UP),
        range(rng, 50, 99),
        range(rng, 1, 12),
        range(rng, 1, 28),
        letters(rng, 3, ALNUM)
    )
}

/// Word-wrap a paragraph at `width` characters.
pub fn wrap(text: &str, width: usize, out: &mut String) {
    let mut col = 0usize;
    for word in text.split(' ') {
        if word.is_empty() {
            continue;
        }
        let wl = word.chars().count();
        if col > 0 && col + 1 + wl > width {
            out.push('\n');
            col = 0;
        } else if col > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += wl;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflection() {
        assert_eq!(plural_of("adquisición"), "adquisiciones");
        assert_eq!(plural_of("vehículo"), "vehículos");
        assert_eq!(plural_of("cuartel"), "cuarteles");
        assert_eq!(plural_of("almacén"), "almacenes");
        assert_eq!(plural_of("luz"), "luces");
        let v = make_verb("verificar");
        assert_eq!(v.pret3s, "verificó");
        assert_eq!(v.subj3s, "verifique");
        let v = make_verb("recibir");
        assert_eq!(v.pret3p, "recibieron");
        assert_eq!(v.part.forms[3], "recibidas");
        assert_eq!(make_verb("abastecer").subj3s, "abastezca");
        assert_eq!(make_verb("ejercer").subj3s, "ejerza");
        assert_eq!(make_verb("proteger").subj3s, "proteja");
        assert_eq!(adj_forms("eficaz")[2], "eficaces");
        assert_eq!(contract("de", "el contrato"), "del contrato");
    }
}
