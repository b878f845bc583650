//! Text analysis: how words become index terms.
//!
//! - `es` and `en`: the message's own language, stemmed (`adquisición` ~ `adquisiciones`),
//!   stop words dropped, then folded to ASCII lower case. Stemming runs before folding, as the
//!   Snowball stemmers expect accents.
//! - `folded`: words folded to ASCII lower case, not stemmed: names and quoted phrases match
//!   exactly but without regard to accents or case (`contraseña` = `CONTRASENA`).
//! - Addresses are not analysed here: [`address_tokens`] turns each mailbox into the terms
//!   `from:` and friends look up (whole address, local part, domain and parent domains, name
//!   words).

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, StopWordFilter, TextAnalyzer, TokenizerManager,
};

pub const ES: &str = "trove_es";
pub const EN: &str = "trove_en";
pub const FOLDED: &str = "trove_folded";

/// Words longer than this (base64 debris, hashes) are not indexed.
const MAX_TOKEN: usize = 48;

fn stemmed(lang: Language) -> TextAnalyzer {
    let stop = StopWordFilter::new(lang).unwrap_or_else(|| StopWordFilter::remove(Vec::new()));
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN))
        .filter(LowerCaser)
        .filter(stop)
        .filter(Stemmer::new(lang))
        .filter(AsciiFoldingFilter)
        .build()
}

/// The folded, unstemmed analyzer.
pub fn folded() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Registers trove's analyzers on an index's tokenizer manager.
pub fn register(manager: &TokenizerManager) {
    manager.register(ES, stemmed(Language::Spanish));
    manager.register(EN, stemmed(Language::English));
    manager.register(FOLDED, folded());
}

/// Folds one word or phrase the way [`folded`] does, for building terms by hand.
pub fn fold(s: &str) -> String {
    let mut analyzer = folded();
    let mut stream = analyzer.token_stream(s);
    let mut out = Vec::new();
    while let Some(t) = stream.next() {
        out.push(t.text.clone());
    }
    out.join(" ")
}

/// Lower-cases and folds an address, domain or file name without splitting it.
pub fn fold_atom(s: &str) -> String {
    let mut analyzer = TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    let mut stream = analyzer.token_stream(s);
    let mut out = String::new();
    while let Some(t) = stream.next() {
        out.push_str(&t.text);
    }
    out
}

/// The terms under which a mailbox is found: the whole address, its local part, its domain and
/// every parent domain down to two labels, and the words of the display name (folded). For
/// `"José Núñez" <jnunez@defensa.gob.mx>`: `jnunez@defensa.gob.mx`, `jnunez`,
/// `defensa.gob.mx`, `gob.mx`, `jose`, `nunez`. Name words come first and in order, so that a
/// quoted name matches as a phrase.
pub fn address_tokens(name: Option<&str>, address: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = name {
        out.extend(
            fold(n)
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_owned),
        );
    }
    if let Some(a) = address {
        let a = fold_atom(a.trim());
        if let Some((local, domain)) = a.rsplit_once('@') {
            out.push(a.clone());
            if !local.is_empty() {
                out.push(local.to_owned());
                // Local parts like juan.perez or j_perez: their words too.
                for w in local
                    .split(['.', '_', '-', '+'])
                    .filter(|w| w.len() > 1 && *w != local)
                {
                    out.push(w.to_owned());
                }
            }
            let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
            for i in 0..labels.len().saturating_sub(1) {
                out.push(labels[i..].join("."));
            }
            if labels.len() == 1 {
                out.push(labels[0].to_owned());
            }
        } else if !a.is_empty() {
            // An X.500 DN or a bare name in place of an address.
            out.push(a.clone());
            out.extend(
                fold(&a)
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned),
            );
        }
    }
    out
}

/// A message's language, as far as search cares: Spanish, English, or other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Es,
    En,
    Other(&'static str),
}

impl Lang {
    /// The language of a code recorded in the catalog.
    pub fn from_code(code: &str) -> Lang {
        match code {
            "es" => Lang::Es,
            "en" => Lang::En,
            "pt" => Lang::Other("pt"),
            "fr" => Lang::Other("fr"),
            "de" => Lang::Other("de"),
            "it" => Lang::Other("it"),
            _ => Lang::Other("other"),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
            Lang::Other(c) => c,
        }
    }
}

/// Detects the language of a text from its first few kilobytes. Very short texts are taken to
/// be Spanish, the corpus's language.
pub fn detect(text: &str) -> Lang {
    let sample: String = text.chars().take(1500).collect();
    if sample.split_whitespace().count() < 4 {
        return Lang::Es;
    }
    // Function words settle most Spanish and English mail at a fraction of the cost of the
    // n-gram model, which decides the rest.
    const ES: [&str; 16] = [
        "de", "la", "que", "el", "en", "los", "del", "se", "las", "por", "para", "con", "una",
        "al", "lo", "su",
    ];
    const EN: [&str; 16] = [
        "the", "and", "of", "to", "is", "for", "that", "with", "on", "this", "are", "we", "you",
        "be", "have", "it",
    ];
    let (mut es, mut en) = (0u32, 0u32);
    for w in sample.split(|c: char| !c.is_alphabetic()).take(200) {
        if w.len() > 4 || w.is_empty() {
            continue;
        }
        let w = w.to_ascii_lowercase();
        es += ES.contains(&w.as_str()) as u32;
        en += EN.contains(&w.as_str()) as u32;
    }
    if es >= 6 && es >= 4 * en.max(1) {
        return Lang::Es;
    }
    if en >= 6 && en >= 4 * es.max(1) {
        return Lang::En;
    }
    use whichlang::Lang as W;
    match whichlang::detect_language(&sample) {
        W::Spa => Lang::Es,
        W::Eng => Lang::En,
        W::Por => Lang::Other("pt"),
        W::Fra => Lang::Other("fr"),
        W::Deu => Lang::Other("de"),
        W::Ita => Lang::Other("it"),
        W::Nld => Lang::Other("nl"),
        W::Rus => Lang::Other("ru"),
        W::Ara => Lang::Other("ar"),
        W::Cmn => Lang::Other("zh"),
        W::Jpn => Lang::Other("ja"),
        W::Kor => Lang::Other("ko"),
        W::Hin => Lang::Other("hi"),
        W::Tur => Lang::Other("tr"),
        W::Vie => Lang::Other("vi"),
        W::Swe => Lang::Other("sv"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(name: &str, s: &str) -> Vec<String> {
        let m = TokenizerManager::default();
        register(&m);
        let mut a = m.get(name).unwrap();
        let mut st = a.token_stream(s);
        let mut out = Vec::new();
        while let Some(t) = st.next() {
            out.push(t.text.clone());
        }
        out
    }

    #[test]
    fn spanish_stems_then_folds() {
        assert_eq!(terms(ES, "adquisición"), terms(ES, "Adquisiciones"));
        assert_eq!(terms(ES, "Contraseña"), terms(ES, "contrasena"));
        assert_eq!(terms(ES, "la compra de armas"), vec!["compr", "armas"]);
        assert_eq!(
            terms(ES, "vehículos blindados"),
            terms(ES, "vehiculo blindado")
        );
        assert_eq!(terms(FOLDED, "José NÚÑEZ"), vec!["jose", "nunez"]);
        assert_eq!(terms(EN, "purchases"), terms(EN, "purchase"));
    }

    #[test]
    fn addresses() {
        assert_eq!(
            address_tokens(Some("José Núñez"), Some("JNunez@Defensa.gob.mx")),
            [
                "jose",
                "nunez",
                "jnunez@defensa.gob.mx",
                "jnunez",
                "defensa.gob.mx",
                "gob.mx"
            ]
            .map(String::from)
        );
        assert!(address_tokens(None, Some("juan.perez@x.mx")).contains(&"perez".to_owned()));
    }

    #[test]
    fn languages() {
        assert_eq!(
            detect(
                "Por medio del presente me permito informar a usted que la adquisición de vehículos"
            ),
            Lang::Es
        );
        assert_eq!(
            detect(
                "Please find attached the quarterly report on the procurement of armored vehicles"
            ),
            Lang::En
        );
    }
}
