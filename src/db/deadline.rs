//! Bounded waits on PostgreSQL: what keeps an instance from wedging when the database or the
//! network between them stops answering.
//!
//! Four bounds, from the cheapest to the last resort:
//! - **libpq connection parameters** added to `DATABASE_URL` (unless it sets them itself):
//!   `connect_timeout`, TCP keepalives (`keepalives`, `keepalives_idle`, `keepalives_interval`,
//!   `keepalives_count`) and `tcp_user_timeout`, so that the kernel declares a half-open socket
//!   dead (a partition where the peer never answers, or never acknowledges what was sent);
//! - **`statement_timeout`**, set on every pooled connection: PostgreSQL cancels a statement
//!   that runs (or waits for a lock) longer;
//! - **a watchdog** ([`Watch`]): each statement of a pooled connection is armed with a deadline,
//!   the statement timeout plus [`GRACE`] (a validation ping: [`PING_TIMEOUT`]). A statement
//!   still unanswered then means that neither PostgreSQL's cancellation nor the kernel's timers
//!   reached this process (a middlebox that acknowledges and forwards nothing, a frozen proxy):
//!   the watchdog shuts the connection's socket down (`shutdown(2)`, which wakes libpq at once
//!   with an error without closing the descriptor), the request answers 503, and the pool drops
//!   the connection ([`Watch::fired`]) instead of reusing it;
//! - **liveness**: a statement still running [`STUCK_AFTER`] past its deadline, after all of the
//!   above, means the process can no longer recover by itself; [`stuck_statements`] counts them
//!   and `/health/live` fails, so that the orchestrator restarts the instance.

use std::collections::HashSet;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use diesel::connection::{Instrumentation, InstrumentationEvent};

/// How much longer than the statement timeout the watchdog waits before it cuts a connection:
/// PostgreSQL's own cancellation, when it can reach us, comes first.
pub const GRACE: Duration = Duration::from_secs(1);

/// The deadline of a validation ping (`SELECT 1` on checkout): a healthy database answers in
/// milliseconds, and a stale connection found at checkout should cost a request little.
pub const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// How long past its deadline a statement may still run before the process is declared unable
/// to recover (`/health/live` fails).
pub const STUCK_AFTER: Duration = Duration::from_secs(30);

/// How often the watchdog looks at the armed statements.
const TICK: Duration = Duration::from_millis(100);

/// The bounds on PostgreSQL connections (configuration `CNFS_DB_*`, see `docs/OPERATIONS.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgLimits {
    /// `connect_timeout`: how long opening a connection may take.
    pub connect_timeout: Duration,
    /// `statement_timeout`: how long one statement may run or wait.
    pub statement_timeout: Duration,
    /// How long a silent peer is tolerated at the TCP level: `tcp_user_timeout` (data sent and
    /// never acknowledged), and keepalives that declare an idle peer dead after about as long.
    pub tcp_timeout: Duration,
}

impl Default for PgLimits {
    fn default() -> Self {
        PgLimits {
            connect_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(30),
            tcp_timeout: Duration::from_secs(10),
        }
    }
}

impl PgLimits {
    /// The libpq parameters of these limits, as `(name, value)`: keepalives probe after half the
    /// TCP timeout of silence, then 3 times over the other half.
    pub fn libpq_parameters(&self) -> Vec<(&'static str, String)> {
        let tcp = self.tcp_timeout.as_secs().max(2);
        let idle = tcp.div_ceil(2);
        let interval = (tcp / 2 / 3).max(1);
        vec![
            (
                "connect_timeout",
                self.connect_timeout.as_secs().max(2).to_string(),
            ),
            ("keepalives", "1".to_owned()),
            ("keepalives_idle", idle.to_string()),
            ("keepalives_interval", interval.to_string()),
            ("keepalives_count", "3".to_owned()),
            ("tcp_user_timeout", (tcp * 1000).to_string()),
        ]
    }

    /// `url` with the parameters of [`PgLimits::libpq_parameters`] it does not set itself (the
    /// operator's own values win).
    pub fn apply_to(&self, url: &str) -> String {
        let (base, fragment) = match url.split_once('#') {
            Some((base, fragment)) => (base, Some(fragment)),
            None => (url, None),
        };
        let present: HashSet<&str> = base
            .split_once('?')
            .map(|(_, query)| {
                query
                    .split('&')
                    .filter_map(|p| p.split('=').next())
                    .collect()
            })
            .unwrap_or_default();
        let mut out = base.to_owned();
        for (name, value) in self.libpq_parameters() {
            if present.contains(name) {
                continue;
            }
            out.push(if out.contains('?') { '&' } else { '?' });
            out.push_str(name);
            out.push('=');
            out.push_str(&value);
        }
        if let Some(fragment) = fragment {
            out.push('#');
            out.push_str(fragment);
        }
        out
    }

    /// The settings of a pooled session: its statement timeout; the same bound on a transaction
    /// left idle (the application never waits inside one, so an idle transaction means its
    /// client is gone, and its row locks must not outlive it); and the server side's own
    /// keepalives and TCP user timeout, so that PostgreSQL too drops a backend whose client
    /// vanished behind a partition (its defaults wait two hours).
    pub fn session_sql(&self) -> String {
        let statement = self.statement_timeout.as_millis();
        let tcp = self.tcp_timeout.as_secs().max(2);
        format!(
            "SET statement_timeout = {statement}; \
             SET idle_in_transaction_session_timeout = {statement}; \
             SET tcp_keepalives_idle = {}; SET tcp_keepalives_interval = {}; \
             SET tcp_keepalives_count = 3; SET tcp_user_timeout = {}",
            tcp.div_ceil(2),
            (tcp / 2 / 3).max(1),
            tcp * 1000
        )
    }
}

/// Nanoseconds since [`EPOCH`]; 0 means "no statement armed".
fn now_nanos() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_nanos())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// One watched connection.
#[derive(Debug)]
struct Entry {
    /// The connection's socket, when it was found (a TCP connection).
    socket: Option<RawFd>,
    /// When the running statement must have answered ([`now_nanos`] scale); 0: none running.
    deadline: AtomicU64,
    /// The deadline of the next statement, in nanoseconds (the statement timeout plus
    /// [`GRACE`], or [`PING_TIMEOUT`] for a validation ping).
    limit: AtomicU64,
    /// Set once the watchdog has cut this connection.
    fired: AtomicBool,
    /// When the running statement started ([`now_nanos`] scale).
    started: AtomicU64,
    /// The statement timeout, in nanoseconds.
    statement_timeout: u64,
    /// Set when a statement failed after running for the statement timeout or longer
    /// (PostgreSQL cancelled it); cleared when the connection goes back to the pool.
    timed_out: AtomicBool,
}

impl Entry {
    /// A statement starts: its deadline is now plus the current limit.
    fn arm(&self) {
        let limit = self.limit.load(Ordering::Acquire);
        let now = now_nanos();
        self.started.store(now, Ordering::Release);
        self.deadline
            .store(now.saturating_add(limit), Ordering::Release);
    }

    /// The statement has answered; `failed` when with an error.
    fn disarm(&self, failed: bool) {
        let ran = now_nanos().saturating_sub(self.started.load(Ordering::Acquire));
        if failed && ran >= self.statement_timeout {
            self.timed_out.store(true, Ordering::Release);
        }
        self.deadline.store(0, Ordering::Release);
    }
}

/// Every watched connection of the process; the watchdog acts under this lock, and a connection
/// leaves it (under the lock) before its socket is closed, so that a descriptor number reused by
/// someone else is never shut down.
static WATCHED: OnceLock<Mutex<Vec<Arc<Entry>>>> = OnceLock::new();

/// The list, started with its watchdog thread on first use.
fn watched() -> std::sync::MutexGuard<'static, Vec<Arc<Entry>>> {
    WATCHED
        .get_or_init(|| {
            std::thread::Builder::new()
                .name("cnfs-db-watchdog".to_owned())
                .spawn(watchdog)
                .expect("the watchdog thread starts");
            Mutex::new(Vec::new())
        })
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn watchdog() {
    loop {
        std::thread::sleep(TICK);
        let now = now_nanos();
        for entry in watched().iter() {
            let deadline = entry.deadline.load(Ordering::Acquire);
            if deadline == 0 || deadline > now || entry.fired.load(Ordering::Acquire) {
                continue;
            }
            entry.fired.store(true, Ordering::Release);
            match entry.socket {
                Some(fd) => {
                    log::warn!(
                        "base de données : une instruction n'a pas répondu dans son délai, \
                         connexion coupée (socket {fd})"
                    );
                    // SAFETY: the descriptor belongs to a connection still in WATCHED (it
                    // leaves it, under this lock, before closing); shutdown(2) neither closes
                    // nor frees it.
                    unsafe {
                        libc::shutdown(fd, libc::SHUT_RDWR);
                    }
                }
                None => log::warn!(
                    "base de données : une instruction n'a pas répondu dans son délai, et sa \
                     connexion ne peut être coupée (socket inconnu)"
                ),
            }
        }
    }
}

/// The statements that have overrun their deadline by more than [`STUCK_AFTER`]: the process
/// cannot free them (see the module documentation).
pub fn stuck_statements() -> usize {
    if WATCHED.get().is_none() {
        return 0;
    }
    let now = now_nanos();
    let stuck = u64::try_from(STUCK_AFTER.as_nanos()).unwrap_or(u64::MAX);
    watched()
        .iter()
        .filter(|entry| {
            let deadline = entry.deadline.load(Ordering::Acquire);
            deadline != 0 && now.saturating_sub(deadline) > stuck
        })
        .count()
}

/// The watch over one pooled PostgreSQL connection: the connection's instrumentation arms a
/// deadline at the start of each statement and disarms it at its end. Dropped (leaving the
/// watchdog's list) before the connection closes its socket.
#[derive(Debug)]
pub struct Watch {
    entry: Arc<Entry>,
    statement_limit: u64,
}

impl Watch {
    /// Watches a connection whose socket is `socket`, each statement bounded by
    /// `statement_timeout` plus [`GRACE`].
    pub fn new(socket: Option<RawFd>, statement_timeout: Duration) -> Watch {
        let statement_limit =
            u64::try_from((statement_timeout + GRACE).as_nanos()).unwrap_or(u64::MAX);
        let entry = Arc::new(Entry {
            socket,
            deadline: AtomicU64::new(0),
            limit: AtomicU64::new(statement_limit),
            fired: AtomicBool::new(false),
            started: AtomicU64::new(0),
            statement_timeout: u64::try_from(statement_timeout.as_nanos()).unwrap_or(u64::MAX),
            timed_out: AtomicBool::new(false),
        });
        watched().push(entry.clone());
        Watch {
            entry,
            statement_limit,
        }
    }

    /// The instrumentation to give the connection.
    pub fn instrumentation(&self) -> impl Instrumentation {
        Arming(self.entry.clone())
    }

    /// Whether the watchdog cut this connection: it must not be reused.
    pub fn fired(&self) -> bool {
        self.entry.fired.load(Ordering::Acquire)
    }

    /// Disarms a deadline left armed (a statement whose end diesel did not report): called when
    /// the connection goes back to the pool, where no statement runs.
    pub fn settle(&self) {
        self.entry.deadline.store(0, Ordering::Release);
        self.entry.timed_out.store(false, Ordering::Release);
    }

    /// Whether a statement of this checkout failed after running for the whole statement
    /// timeout: PostgreSQL cancelled it (its message depends on the server's language, its
    /// duration does not).
    pub fn timed_out(&self) -> bool {
        self.entry.timed_out.load(Ordering::Acquire)
    }

    /// Runs `ping` (a validation query) with the short deadline [`PING_TIMEOUT`].
    pub fn with_ping_deadline<T>(&self, ping: impl FnOnce() -> T) -> T {
        let ping_limit = u64::try_from(PING_TIMEOUT.as_nanos()).unwrap_or(u64::MAX);
        self.entry.limit.store(ping_limit, Ordering::Release);
        let result = ping();
        self.entry
            .limit
            .store(self.statement_limit, Ordering::Release);
        result
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        watched().retain(|entry| !Arc::ptr_eq(entry, &self.entry));
    }
}

/// Arms and disarms the deadline of each statement.
struct Arming(Arc<Entry>);

impl Instrumentation for Arming {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => self.0.arm(),
            InstrumentationEvent::FinishQuery { error, .. } => self.0.disarm(error.is_some()),
            _ => {}
        }
    }
}

/// Serialises the opening of watched connections, so that the socket a connection opened is
/// the one new socket of the process at that moment (see [`new_socket`]).
static OPENING: Mutex<()> = Mutex::new(());

/// The TCP sockets of the process (descriptor, inode).
#[cfg(target_os = "linux")]
fn tcp_sockets() -> HashSet<(RawFd, String)> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return HashSet::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|entry| {
            let fd: RawFd = entry.file_name().to_str()?.parse().ok()?;
            let target = std::fs::read_link(entry.path()).ok()?;
            let target = target.to_str()?;
            target
                .starts_with("socket:")
                .then(|| (fd, target.to_owned()))
        })
        .filter(|(fd, _)| is_tcp_with_keepalive(*fd))
        .collect()
}

#[cfg(not(target_os = "linux"))]
fn tcp_sockets() -> HashSet<(RawFd, String)> {
    HashSet::new()
}

/// Whether `fd` is a TCP socket with `SO_KEEPALIVE` on (libpq sets it with `keepalives=1`;
/// actix leaves it off on the HTTP connections it accepts).
#[cfg(target_os = "linux")]
fn is_tcp_with_keepalive(fd: RawFd) -> bool {
    let mut domain: libc::c_int = 0;
    let mut keepalive: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt(2) writes at most `len` bytes into the integers given; a descriptor
    // that is not a socket (or no longer open) answers an error.
    let domain_ok = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_DOMAIN,
            (&raw mut domain).cast(),
            &raw mut len,
        )
    } == 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: as above.
    let keepalive_ok = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            (&raw mut keepalive).cast(),
            &raw mut len,
        )
    } == 0;
    domain_ok
        && keepalive_ok
        && keepalive != 0
        && (domain == libc::AF_INET || domain == libc::AF_INET6)
}

/// Opens a connection with `open` and finds its socket: the one TCP socket with keepalives that
/// appeared meanwhile (`None` when there is not exactly one, e.g. a Unix-domain socket: the
/// watchdog then cannot cut it, and the other bounds remain).
pub fn new_socket<T, E>(open: impl FnOnce() -> Result<T, E>) -> Result<(T, Option<RawFd>), E> {
    let _opening = OPENING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = tcp_sockets();
    let opened = open()?;
    let mut new: Vec<RawFd> = tcp_sockets()
        .difference(&before)
        .map(|(fd, _)| *fd)
        .collect();
    let socket = if new.len() == 1 { new.pop() } else { None };
    Ok((opened, socket))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parameters_are_added_unless_the_url_sets_them() {
        let limits = PgLimits::default();
        assert_eq!(
            limits.apply_to("postgres://u@h/db"),
            "postgres://u@h/db?connect_timeout=3&keepalives=1&keepalives_idle=5\
             &keepalives_interval=1&keepalives_count=3&tcp_user_timeout=10000"
        );
        let kept = limits.apply_to("postgres://u@h/db?sslmode=require&connect_timeout=20");
        assert!(kept.starts_with("postgres://u@h/db?sslmode=require&connect_timeout=20&"));
        assert_eq!(kept.matches("connect_timeout").count(), 1);
        assert!(kept.ends_with("&tcp_user_timeout=10000"));
        assert!(limits.session_sql().starts_with(
            "SET statement_timeout = 30000; SET idle_in_transaction_session_timeout = 30000;"
        ));
    }

    #[test]
    fn a_statement_past_its_deadline_has_its_socket_shut_down() {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (mut client, socket) = new_socket(|| {
            let stream = std::net::TcpStream::connect(addr)?;
            let fd = std::os::fd::AsRawFd::as_raw_fd(&stream);
            let on: libc::c_int = 1;
            // SAFETY: setsockopt(2) on our own socket, with an int option.
            unsafe {
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    libc::SO_KEEPALIVE,
                    (&raw const on).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                );
            }
            Ok::<_, std::io::Error>(stream)
        })
        .unwrap();
        let _server_side = listener.accept().unwrap();
        assert!(socket.is_some(), "the new socket is found");
        let watch = Watch::new(socket, Duration::from_millis(200));
        watch.entry.arm();
        // The peer never answers: the read returns (end of stream) once the watchdog cuts it.
        let started = Instant::now();
        let mut buffer = [0u8; 1];
        let read = client.read(&mut buffer).unwrap();
        assert_eq!(read, 0);
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(1100) && waited < Duration::from_secs(3),
            "{waited:?}"
        );
        assert!(watch.fired());
    }
}
