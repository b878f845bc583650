//! Worker processes that run [`crate::extract`] on untrusted bytes, bounded: address space
//! (`RLIMIT_AS`), CPU per job (`RLIMIT_CPU`), wall time (killed past a deadline), answer size,
//! no core dumps, no new privileges, gone when the parent is (stdin closes; `PR_SET_PDEATHSIG`
//! is not used: it fires when the *thread* that started the worker ends), in a network namespace of
//! their own where the kernel allows it (no network at all). A worker that crashes, hangs or
//! runs out of memory fails that one document, with the reason, and is replaced.
//!
//! One worker per core: each keeps its pdfium and Tesseract engines loaded between jobs.
//!
//! A document goes to a worker as a [`Source`]: bytes already in memory, or a reader (a blob
//! of the store) copied through the pipe [`CHUNK`] bytes at a time, so that the parent never
//! holds a document it streams, whatever its size. Writes to a worker are bounded by the job's
//! deadline like its answer: a worker that stops reading is killed. The parent does not parse
//! the document: the worker says first what it recognised (the format a crash or a timeout is
//! recorded under), then answers.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use trove_formats::sniff::SNIFF_LEN;

use crate::worker::{Detected, Job};
use crate::{Extraction, Hint, OcrMode, Options};

/// Bytes copied from a streamed document to a worker at a time.
pub const CHUNK: usize = 256 << 10;

/// A document for a worker.
pub enum Source<'a> {
    /// Bytes in memory.
    Bytes(&'a [u8]),
    /// Exactly `size` bytes read from `reader` while they are sent (a stored blob): the
    /// parent holds [`CHUNK`] bytes of it at a time.
    Stream { reader: &'a mut dyn Read, size: u64 },
}

impl Source<'_> {
    pub fn size(&self) -> u64 {
        match self {
            Source::Bytes(b) => b.len() as u64,
            Source::Stream { size, .. } => *size,
        }
    }
}

/// Errors setting up the pool.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("no extraction worker found: {0} (set TROVE_WORKER to the trove binary)")]
    NoWorker(String),
    #[error("starting a worker: {0}")]
    Spawn(std::io::Error),
}

/// How workers are run.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Worker processes (0: one per core).
    pub workers: usize,
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Address space per worker, bytes.
    pub memory: u64,
    /// Wall time per job: `base + per_mib × size + per_ocr_page × pages to OCR`.
    pub timeout_base: Duration,
    pub timeout_per_mib: Duration,
    pub timeout_per_ocr_page: Duration,
    /// Largest answer accepted from a worker, bytes.
    pub max_answer: u64,
    /// Jobs before a worker is replaced (bounds leaks in native libraries).
    pub jobs_per_worker: u64,
    /// Where workers' stderr goes (nowhere when unset).
    pub log: Option<PathBuf>,
}

impl PoolConfig {
    /// Defaults with the worker program found next to this executable.
    pub fn discover() -> Result<Self, PoolError> {
        let (program, args) = find_worker()?;
        Ok(PoolConfig {
            workers: 0,
            program,
            args,
            memory: 3 << 30,
            timeout_base: Duration::from_secs(60),
            timeout_per_mib: Duration::from_secs(2),
            timeout_per_ocr_page: Duration::from_secs(30),
            max_answer: 160 << 20,
            jobs_per_worker: 1000,
            log: None,
        })
    }
}

/// The worker program: `TROVE_WORKER`, this executable when it is `trove`, or
/// `trove-extract-worker` beside it (or beside its folder, for test binaries in `deps/`).
pub fn find_worker() -> Result<(PathBuf, Vec<String>), PoolError> {
    let args_for = |p: &std::path::Path| -> Vec<String> {
        if p.file_name().is_some_and(|n| n == "trove") {
            vec!["worker".into()]
        } else {
            Vec::new()
        }
    };
    if let Ok(p) = std::env::var("TROVE_WORKER") {
        let p = PathBuf::from(p);
        let a = args_for(&p);
        return Ok((p, a));
    }
    let exe = std::env::current_exe().map_err(|e| PoolError::NoWorker(e.to_string()))?;
    if exe.file_name().is_some_and(|n| n == "trove") {
        return Ok((exe, vec!["worker".into()]));
    }
    let mut tried = Vec::new();
    if let Some(dir) = exe.parent() {
        for d in [Some(dir), dir.parent()].into_iter().flatten() {
            for name in ["trove-extract-worker", "trove"] {
                let c = d.join(name);
                if c.is_file() {
                    let a = args_for(&c);
                    return Ok((c, a));
                }
                tried.push(c.display().to_string());
            }
        }
    }
    Err(PoolError::NoWorker(format!(
        "looked for {}",
        tried.join(", ")
    )))
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
    jobs: u64,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Counters of what the pool did.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct PoolStats {
    pub jobs: u64,
    /// Document bytes sent to workers.
    pub bytes_sent: u64,
    pub spawned: u64,
    pub crashed: u64,
    pub timed_out: u64,
    /// Workers confirmed to run without network (a namespace of their own).
    pub no_network: u64,
}

/// Bounded worker processes.
pub struct Pool {
    cfg: PoolConfig,
    idle: Mutex<Vec<Worker>>,
    busy: Mutex<usize>,
    freed: Condvar,
    stats: Mutex<PoolStats>,
}

impl Pool {
    pub fn new(mut cfg: PoolConfig) -> Result<Self, PoolError> {
        if cfg.workers == 0 {
            cfg.workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        }
        if !cfg.program.is_file() {
            return Err(PoolError::NoWorker(cfg.program.display().to_string()));
        }
        Ok(Pool {
            cfg,
            idle: Mutex::new(Vec::new()),
            busy: Mutex::new(0),
            freed: Condvar::new(),
            stats: Mutex::new(PoolStats::default()),
        })
    }

    /// A pool with the discovered worker and `workers` processes.
    pub fn discover(workers: usize) -> Result<Self, PoolError> {
        let mut cfg = PoolConfig::discover()?;
        cfg.workers = workers;
        Pool::new(cfg)
    }

    pub fn workers(&self) -> usize {
        self.cfg.workers
    }

    pub fn stats(&self) -> PoolStats {
        *self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn spawn(&self) -> Result<Worker, PoolError> {
        let mut cmd = Command::new(&self.cfg.program);
        cmd.args(&self.cfg.args)
            .env("OMP_THREAD_LIMIT", "1")
            .env("TROVE_WORKER_CHILD", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        match &self.cfg.log {
            Some(path) => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(PoolError::Spawn)?;
                cmd.stderr(f);
            }
            None => {
                cmd.stderr(Stdio::null());
            }
        }
        let memory = self.cfg.memory;
        // SAFETY: only async-signal-safe calls (setrlimit, prctl, unshare) between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                let lim = |r, v: u64| {
                    let l = libc::rlimit {
                        rlim_cur: v,
                        rlim_max: v,
                    };
                    libc::setrlimit(r, &l);
                };
                lim(libc::RLIMIT_AS, memory);
                lim(libc::RLIMIT_CORE, 0);
                lim(libc::RLIMIT_FSIZE, 256 << 20);
                libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                if libc::unshare(libc::CLONE_NEWNET) != 0 {
                    libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET);
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(PoolError::Spawn)?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err(PoolError::Spawn(std::io::Error::other("no pipes")));
        };
        // Writes to the worker wait at most until the job's deadline (see `write_deadline`).
        // SAFETY: fcntl on a descriptor we own; only the file status flags change.
        unsafe {
            let fd = stdin.as_raw_fd();
            let fl = libc::fcntl(fd, libc::F_GETFL);
            if fl < 0 || libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK) < 0 {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PoolError::Spawn(std::io::Error::last_os_error()));
            }
        }
        let isolated = own_netns(child.id());
        let mut s = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        s.spawned += 1;
        if isolated {
            s.no_network += 1;
        }
        Ok(Worker {
            child,
            stdin,
            stdout,
            jobs: 0,
        })
    }

    /// Extracts a document in a worker. Never fails: a crash, a timeout or a worker that
    /// could not start is a failed extraction with its reason.
    pub fn extract(&self, bytes: &[u8], hint: &Hint, opts: &Options) -> Extraction {
        self.extract_ocr_pages(bytes, hint, opts, 0)
    }

    /// As [`Pool::extract`], with the time budget of `ocr_pages` pages of OCR on top.
    pub fn extract_ocr_pages(
        &self,
        bytes: &[u8],
        hint: &Hint,
        opts: &Options,
        ocr_pages: u32,
    ) -> Extraction {
        self.extract_source(
            Source::Bytes(bytes),
            std::slice::from_ref(hint),
            opts,
            ocr_pages,
        )
    }

    /// As [`Pool::extract_ocr_pages`], from a [`Source`], under every name and type the
    /// document arrived with (`hints`, the one to read it as first: see
    /// [`crate::extract_carried`]). A streamed source that cannot be read to its size fails
    /// the document ("document bytes unavailable"), not the worker.
    pub fn extract_source(
        &self,
        source: Source<'_>,
        hints: &[Hint],
        opts: &Options,
        ocr_pages: u32,
    ) -> Extraction {
        {
            let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
            while *busy >= self.cfg.workers {
                busy = self.freed.wait(busy).unwrap_or_else(|p| p.into_inner());
            }
            *busy += 1;
        }
        let result = self.run(source, hints, opts, ocr_pages);
        *self.busy.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
        self.freed.notify_one();
        self.stats.lock().unwrap_or_else(|p| p.into_inner()).jobs += 1;
        result
    }

    fn run(
        &self,
        mut source: Source<'_>,
        hints: &[Hint],
        opts: &Options,
        ocr_pages: u32,
    ) -> Extraction {
        let fallback = Hint::default();
        let hint = hints.first().unwrap_or(&fallback);
        let size = source.size();
        // The first bytes: what the document looks like before a worker has read it (the time
        // budget of an image, the format of a worker that fails before it says).
        let head: Vec<u8> = match &mut source {
            Source::Bytes(b) => b[..b.len().min(SNIFF_LEN)].to_vec(),
            Source::Stream { reader, size } => {
                let want = (*size).min(SNIFF_LEN as u64);
                let mut head = Vec::with_capacity(want as usize);
                if let Err(e) = reader.take(want).read_to_end(&mut head) {
                    return Extraction::failed(
                        "unknown",
                        format!("document bytes unavailable: {e}"),
                    );
                }
                if (head.len() as u64) < want {
                    return Extraction::failed(
                        "unknown",
                        format!("document bytes unavailable: {} of {size} bytes", head.len()),
                    );
                }
                head
            }
        };
        let guess = crate::detect::head_kind(&head, hint);
        let worker = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut worker = match worker {
            Some(w) => w,
            None => match self.spawn() {
                Ok(w) => w,
                Err(e) => {
                    return Extraction::failed(
                        guess.as_str(),
                        format!("extraction worker could not start: {e}"),
                    );
                }
            },
        };
        let mib = size >> 20;
        let ocr = if opts.ocr == OcrMode::Now {
            ocr_pages.max(u32::from(guess.is_image()))
        } else {
            0
        };
        let timeout = self.cfg.timeout_base
            + self.cfg.timeout_per_mib * mib.min(u32::MAX as u64) as u32
            + self.cfg.timeout_per_ocr_page * ocr;
        let job = Job {
            hint: hint.clone(),
            carriers: hints.iter().skip(1).cloned().collect(),
            opts: opts.clone(),
            cpu_seconds: timeout.as_secs(),
        };
        let mut detected: Option<String> = None;
        let result = exchange(
            &mut worker,
            &job,
            &head,
            source,
            timeout,
            self.cfg.max_answer,
            &mut detected,
        );
        let format = detected.unwrap_or_else(|| guess.as_str().to_owned());
        let sent = match &result {
            Ok(_) | Err(Failure::Timeout) | Err(Failure::Died(_)) => size,
            Err(Failure::Source(_)) => 0,
        };
        self.stats
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .bytes_sent += sent;
        match result {
            Ok(e) => {
                worker.jobs += 1;
                if worker.jobs < self.cfg.jobs_per_worker {
                    self.idle
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(worker);
                }
                e
            }
            Err(Failure::Source(why)) => {
                // The worker has part of a document: it cannot take another job.
                drop(worker);
                Extraction::failed(&format, format!("document bytes unavailable: {why}"))
            }
            Err(Failure::Timeout) => {
                self.stats
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .timed_out += 1;
                drop(worker);
                Extraction::failed(
                    &format,
                    format!("timed out after {} s (worker killed)", timeout.as_secs()),
                )
            }
            Err(Failure::Died(why)) => {
                let _ = worker.child.kill();
                let status = worker.child.wait().ok();
                self.stats.lock().unwrap_or_else(|p| p.into_inner()).crashed += 1;
                let how = match status.and_then(|s| s.signal()) {
                    Some(libc::SIGSEGV) => "crashed (segmentation fault)".to_owned(),
                    Some(libc::SIGABRT) => "crashed (abort; often out of memory)".to_owned(),
                    Some(libc::SIGXCPU) => "stopped at its CPU time limit".to_owned(),
                    Some(libc::SIGBUS) => "crashed (bus error)".to_owned(),
                    Some(libc::SIGKILL) => "was killed".to_owned(),
                    Some(s) => format!("died of signal {s}"),
                    None => match status.and_then(|s| s.code()) {
                        Some(c) => format!("exited with status {c}"),
                        None => "stopped".to_owned(),
                    },
                };
                Extraction::failed(&format, format!("extraction worker {how} ({why})"))
            }
        }
    }
}

enum Failure {
    Timeout,
    Died(String),
    /// The document's own reader failed or ended early (nothing wrong with the worker, but it
    /// holds half a job).
    Source(String),
}

/// Largest "detected" frame accepted from a worker.
const MAX_DETECTED: u64 = 4096;

/// Sends the job (the head already read, then the rest of the source) and reads the answer;
/// `detected` gets the format the worker recognised as soon as it says it.
fn exchange(
    w: &mut Worker,
    job: &Job,
    head: &[u8],
    source: Source<'_>,
    timeout: Duration,
    max_answer: u64,
    detected: &mut Option<String>,
) -> Result<Extraction, Failure> {
    let deadline = Instant::now() + timeout;
    let size = source.size();
    let header = serde_json::to_vec(job).map_err(|e| Failure::Died(e.to_string()))?;
    let mut frame = Vec::with_capacity(header.len() + 12);
    frame.extend_from_slice(&(header.len() as u32).to_le_bytes());
    frame.extend_from_slice(&header);
    frame.extend_from_slice(&size.to_le_bytes());
    write_deadline(&mut w.stdin, &frame, deadline)?;
    write_deadline(&mut w.stdin, head, deadline)?;
    match source {
        Source::Bytes(b) => write_deadline(&mut w.stdin, &b[head.len()..], deadline)?,
        Source::Stream { reader, size } => {
            let mut left = size - head.len() as u64;
            let mut buf = vec![0u8; CHUNK];
            while left > 0 {
                let want = left.min(CHUNK as u64) as usize;
                let n = match reader.read(&mut buf[..want]) {
                    Ok(0) => {
                        return Err(Failure::Source(format!("{} of {size} bytes", size - left)));
                    }
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Failure::Source(e.to_string())),
                };
                write_deadline(&mut w.stdin, &buf[..n], deadline)?;
                left -= n as u64;
            }
        }
    }
    let first = read_frame(&mut w.stdout, deadline, MAX_DETECTED)?;
    if let Ok(d) = serde_json::from_slice::<Detected>(&first) {
        *detected = Some(d.format);
    }
    let answer = read_frame(&mut w.stdout, deadline, max_answer)?;
    serde_json::from_slice(&answer).map_err(|e| Failure::Died(format!("unreadable answer: {e}")))
}

/// One `u64` LE length + bytes frame of at most `max` bytes.
fn read_frame(r: &mut ChildStdout, deadline: Instant, max: u64) -> Result<Vec<u8>, Failure> {
    let mut len = [0u8; 8];
    read_deadline(r, &mut len, deadline)?;
    let n = u64::from_le_bytes(len);
    if n > max {
        return Err(Failure::Died(format!(
            "answer of {n} bytes is over the limit"
        )));
    }
    let mut buf = vec![0u8; n as usize];
    read_deadline(r, &mut buf, deadline)?;
    Ok(buf)
}

/// Writes `buf` to the worker's input (non-blocking), giving up at the deadline.
fn write_deadline(w: &mut ChildStdin, mut buf: &[u8], deadline: Instant) -> Result<(), Failure> {
    let fd = w.as_raw_fd();
    while !buf.is_empty() {
        match w.write(buf) {
            Ok(0) => return Err(Failure::Died("sending the job: worker input closed".into())),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(Failure::Timeout);
                }
                let mut pfd = libc::pollfd {
                    fd,
                    events: libc::POLLOUT,
                    revents: 0,
                };
                // SAFETY: one valid pollfd.
                let rc = unsafe {
                    libc::poll(&mut pfd, 1, left.as_millis().min(i32::MAX as u128) as i32)
                };
                if rc == 0 {
                    return Err(Failure::Timeout);
                }
                if rc < 0 {
                    let e = std::io::Error::last_os_error();
                    if e.kind() != std::io::ErrorKind::Interrupted {
                        return Err(Failure::Died(format!("sending the job: {e}")));
                    }
                }
            }
            Err(e) => return Err(Failure::Died(format!("sending the job: {e}"))),
        }
    }
    Ok(())
}

/// Fills `buf` from the pipe, giving up at the deadline.
fn read_deadline(r: &mut ChildStdout, buf: &mut [u8], deadline: Instant) -> Result<(), Failure> {
    let fd = r.as_raw_fd();
    let mut got = 0;
    while got < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::Timeout);
        }
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(i32::MAX as u128) as i32) };
        if rc == 0 {
            return Err(Failure::Timeout);
        }
        if rc < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(Failure::Died(e.to_string()));
        }
        match r.read(&mut buf[got..]) {
            Ok(0) => return Err(Failure::Died("no answer".into())),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Failure::Died(e.to_string())),
        }
    }
    Ok(())
}

/// Whether a process runs in a network namespace other than ours.
fn own_netns(pid: u32) -> bool {
    // The child may not have unshared yet when we look; retry briefly.
    for _ in 0..50 {
        let mine = std::fs::read_link("/proc/self/ns/net").ok();
        let theirs = std::fs::read_link(format!("/proc/{pid}/ns/net")).ok();
        if let (Some(a), Some(b)) = (&mine, &theirs)
            && a != b
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}
