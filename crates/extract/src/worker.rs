//! The worker process: reads jobs on stdin, extracts, answers on stdout, one job at a time,
//! until stdin closes. Run by [`crate::pool::Pool`] as `trove worker` or
//! `trove-extract-worker`; never by hand.
//!
//! Frames: a job is `u32` LE length + JSON [`Job`] + `u64` LE length + the document's bytes;
//! the worker answers with two frames, each `u64` LE length + JSON: [`Detected`] as soon as
//! it has the bytes (so that a crash or a timeout while parsing is recorded under the right
//! format), then the [`crate::Extraction`].

use std::io::{Read, Write};
use std::os::fd::FromRawFd;

use serde::{Deserialize, Serialize};

use crate::{Hint, Options, extract_carried};

/// One job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// The name and type the document is read as.
    pub hint: Hint,
    /// The other names and types it arrived under (their flags count too; see
    /// [`crate::extract_carried`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carriers: Vec<Hint>,
    pub opts: Options,
    /// CPU seconds this job may use (enforced with RLIMIT_CPU: the worker dies past it).
    pub cpu_seconds: u64,
}

/// What the worker recognised, sent before it parses.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Detected {
    pub format: String,
}

/// Largest job header accepted.
const MAX_HEADER: usize = 1 << 20;
/// Largest document accepted (the parent never sends more).
const MAX_DOC: u64 = 4 << 30;

/// The worker's main loop. Returns the process exit code.
pub fn main() -> i32 {
    // Frames go to the original stdout; anything a native library prints to stdout goes to
    // stderr instead, so that it cannot corrupt a frame.
    // SAFETY: dup/dup2 on the process's own standard descriptors.
    let proto = unsafe { libc::dup(1) };
    if proto < 0 || unsafe { libc::dup2(2, 1) } < 0 {
        return 2;
    }
    // SAFETY: `proto` is a descriptor we just created and own.
    let mut out = unsafe { std::fs::File::from_raw_fd(proto) };
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    loop {
        let job = match read_job(&mut input) {
            Ok(Some(j)) => j,
            Ok(None) => return 0,
            Err(e) => {
                eprintln!("trove worker: bad frame: {e}");
                return 3;
            }
        };
        let (job, bytes) = job;
        cpu_budget(job.cpu_seconds);
        let before = cpu_millis();
        let format = std::panic::catch_unwind(|| crate::detect::detect(&bytes, &job.hint))
            .map_or("unknown", |k| k.as_str());
        if write_frame(
            &mut out,
            &Detected {
                format: format.to_owned(),
            },
        )
        .is_err()
        {
            return 0;
        }
        let mut hints = Vec::with_capacity(1 + job.carriers.len());
        hints.push(job.hint.clone());
        hints.extend(job.carriers.iter().cloned());
        let mut result = extract_carried(&bytes, &hints, &job.opts);
        result.cpu_millis = cpu_millis().saturating_sub(before);
        match write_frame(&mut out, &result) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                eprintln!("trove worker: encoding the answer: {e}");
                return 4;
            }
            Err(_) => return 0,
        }
    }
}

/// Writes one `u64` LE length + JSON frame (`InvalidData`: the value could not be encoded).
fn write_frame(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    let json = serde_json::to_vec(value)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    out.write_all(&(json.len() as u64).to_le_bytes())?;
    out.write_all(&json)?;
    out.flush()
}

/// Reads one job frame (`None` at end of input).
pub fn read_job(r: &mut impl Read) -> std::io::Result<Option<(Job, Vec<u8>)>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let n = u32::from_le_bytes(len) as usize;
    if n > MAX_HEADER {
        return Err(std::io::Error::other("job header too large"));
    }
    let mut header = vec![0u8; n];
    r.read_exact(&mut header)?;
    let job: Job = serde_json::from_slice(&header).map_err(std::io::Error::other)?;
    let mut dl = [0u8; 8];
    r.read_exact(&mut dl)?;
    let size = u64::from_le_bytes(dl);
    if size > MAX_DOC {
        return Err(std::io::Error::other("document too large"));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    r.take(size).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != size {
        return Err(std::io::Error::other("truncated document"));
    }
    Ok(Some((job, bytes)))
}

/// CPU time of this process so far, milliseconds.
fn cpu_millis() -> u64 {
    // SAFETY: getrusage fills a plain struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return 0;
    }
    let ms = |t: libc::timeval| t.tv_sec as u64 * 1000 + t.tv_usec as u64 / 1000;
    ms(ru.ru_utime) + ms(ru.ru_stime)
}

/// Lets the next job use `seconds` of CPU on top of what the process has used.
fn cpu_budget(seconds: u64) {
    // SAFETY: getrusage/setrlimit on this process with valid pointers.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut ru) != 0 {
            return;
        }
        let used = ru.ru_utime.tv_sec as u64 + ru.ru_stime.tv_sec as u64 + 1;
        let soft = used + seconds.max(1);
        // Only the soft limit moves (SIGXCPU past it): a hard limit could not be raised again.
        let mut cur: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_CPU, &mut cur) == 0 {
            cur.rlim_cur = soft.min(cur.rlim_max);
            libc::setrlimit(libc::RLIMIT_CPU, &cur);
        }
    }
}
