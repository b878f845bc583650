//! trove's enrichment stage, as a library: it reads text that ingest and extract already
//! produced (headers, bodies, attachment and OCR text, spreadsheet cells) and finds what the
//! text exposes about people.
//!
//! This part holds [`ident`]: personal identifiers of Mexico, Chile, El Salvador, Peru and
//! Colombia (CURP, RFC, CLABE, NSS, INE clave de elector, RUT/RUN, DUI, NIT, DNI, RUC, cédula),
//! and email addresses, phone numbers (to E.164), payment cards, IBANs and passport numbers,
//! each validated with its published algorithm. People and organisations come later.
//!
//! The crate is pure: it never sends anything anywhere, reads no files, and holds no state
//! between calls. Every function takes text and returns values.

pub mod ident;

pub use ident::detect::{Detection, detect, detect_with_hint};
pub use ident::{Facts, Kind, Persona, Problem, Validation, validate};
