//! Failed logins, per account and per client address: past a number of failures the account
//! (or the address) is locked for a while, twice as long at each further failure, and every
//! attempt meanwhile is refused (429 with Retry-After) without a password being checked, the
//! right one included. A success clears the account's failures; an address's are forgotten
//! after a quiet while. Attempts still being checked count as failures-to-be, so a burst of
//! simultaneous guesses cannot get past the limit either.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// When failed logins lock an account or an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Failures of one account (by the name tried) before it is locked.
    pub account_failures: u32,
    /// Failures from one client address before it is locked.
    pub address_failures: u32,
    /// The first lockout; each further failure doubles it.
    pub lockout: Duration,
    pub max_lockout: Duration,
    /// Failures are forgotten after this long without another.
    pub forget_after: Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            account_failures: 5,
            address_failures: 20,
            lockout: Duration::from_secs(30),
            max_lockout: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(15 * 60),
        }
    }
}

/// What is locked, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Account,
    Address,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Account => "account",
            Scope::Address => "address",
        }
    }
}

/// A lockout that began with a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    pub scope: Scope,
    pub failures: u32,
    pub for_: Duration,
}

#[derive(Debug, Default, Clone)]
struct Entry {
    failures: u32,
    checking: u32,
    locked_until: Option<Instant>,
    last_failure: Option<Instant>,
}

/// Entries kept at most; past it, those neither locked nor recently failed are dropped.
const MAX_ENTRIES: usize = 100_000;

/// The failures seen, by account and by address.
#[derive(Debug)]
pub struct LoginGuard {
    policy: LoginPolicy,
    entries: Mutex<HashMap<(Scope, String), Entry>>,
}

/// An attempt being checked: resolve it with [`LoginGuard::succeeded`] or
/// [`LoginGuard::failed`]; dropped unresolved (the client went away), it counts for nothing.
pub struct Attempt {
    guard: Arc<LoginGuard>,
    account: String,
    address: String,
    open: bool,
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if self.open {
            self.guard.settle(self, None);
        }
    }
}

impl LoginGuard {
    pub fn new(policy: LoginPolicy) -> Arc<LoginGuard> {
        Arc::new(LoginGuard {
            policy,
            entries: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(Scope, String), Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn limit(&self, scope: Scope) -> u32 {
        match scope {
            Scope::Account => self.policy.account_failures,
            Scope::Address => self.policy.address_failures,
        }
    }

    /// An attempt for `account` from `address`, or how long until one is allowed.
    pub fn begin(
        self: &Arc<Self>,
        account: &str,
        address: &str,
        now: Instant,
    ) -> Result<Attempt, Duration> {
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES {
            let forget = self.policy.forget_after;
            map.retain(|_, e| {
                e.checking > 0
                    || e.locked_until.is_some_and(|t| t > now)
                    || e.last_failure
                        .is_some_and(|t| now.duration_since(t) < forget)
            });
        }
        let keys = [
            (Scope::Account, account.to_owned()),
            (Scope::Address, address.to_owned()),
        ];
        let mut wait = Duration::ZERO;
        for key in &keys {
            let limit = self.limit(key.0);
            let Some(e) = map.get_mut(key) else { continue };
            if e.locked_until.is_none_or(|t| t <= now)
                && e.last_failure
                    .is_some_and(|t| now.duration_since(t) >= self.policy.forget_after)
            {
                *e = Entry {
                    checking: e.checking,
                    ..Entry::default()
                };
            }
            if let Some(t) = e.locked_until.filter(|t| *t > now) {
                wait = wait.max(t - now);
            } else if e.checking >= limit.saturating_sub(e.failures).max(1) {
                // As many attempts are being checked as may still fail before a lockout (one,
                // after a lockout ended): wait for them.
                wait = wait.max(Duration::from_secs(1));
            }
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        for key in keys {
            map.entry(key).or_default().checking += 1;
        }
        Ok(Attempt {
            guard: self.clone(),
            account: account.to_owned(),
            address: address.to_owned(),
            open: true,
        })
    }

    /// The password was right: the account's failures are cleared.
    pub fn succeeded(&self, mut a: Attempt) {
        a.open = false;
        self.settle(&a, Some(true));
    }

    /// The password was wrong: a failure for both, and the lockout it begins, if any (the
    /// longer one when both lock).
    pub fn failed(&self, mut a: Attempt, now: Instant) -> Option<Locked> {
        a.open = false;
        let mut map = self.lock();
        let mut began: Option<Locked> = None;
        for (scope, key) in [(Scope::Account, &a.account), (Scope::Address, &a.address)] {
            let limit = self.limit(scope);
            let e = map.entry((scope, key.clone())).or_default();
            e.checking = e.checking.saturating_sub(1);
            e.failures = e.failures.saturating_add(1);
            e.last_failure = Some(now);
            if e.failures >= limit {
                let doublings = (e.failures - limit).min(20);
                let for_ = self
                    .policy
                    .lockout
                    .saturating_mul(1 << doublings)
                    .min(self.policy.max_lockout);
                e.locked_until = Some(now + for_);
                if began.is_none_or(|b| for_ > b.for_) {
                    began = Some(Locked {
                        scope,
                        failures: e.failures,
                        for_,
                    });
                }
            }
        }
        began
    }

    fn settle(&self, a: &Attempt, success: Option<bool>) {
        let mut map = self.lock();
        for (scope, key) in [(Scope::Account, &a.account), (Scope::Address, &a.address)] {
            let k = (scope, key.clone());
            if let Some(e) = map.get_mut(&k) {
                e.checking = e.checking.saturating_sub(1);
                let clear = success == Some(true) && scope == Scope::Account;
                if clear || (e.checking == 0 && e.failures == 0 && e.locked_until.is_none()) {
                    if e.checking == 0 {
                        map.remove(&k);
                    } else {
                        *e = Entry {
                            checking: e.checking,
                            ..Entry::default()
                        };
                    }
                }
            }
        }
    }

    /// Attempts being checked now.
    pub fn checking(&self) -> usize {
        self.lock()
            .iter()
            .filter(|((s, _), _)| *s == Scope::Address)
            .map(|(_, e)| e.checking as usize)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> LoginPolicy {
        LoginPolicy {
            account_failures: 3,
            address_failures: 10,
            lockout: Duration::from_secs(30),
            max_lockout: Duration::from_secs(600),
            forget_after: Duration::from_secs(900),
        }
    }

    #[test]
    fn failures_lock_an_account_longer_each_time_and_a_success_clears_it() {
        let g = LoginGuard::new(policy());
        let t0 = Instant::now();
        for i in 0..2 {
            let a = g.begin("ana", "10.0.0.1", t0).unwrap();
            assert_eq!(g.failed(a, t0), None, "failure {i}");
        }
        let a = g.begin("ana", "10.0.0.1", t0).unwrap();
        let locked = g.failed(a, t0).unwrap();
        assert_eq!(
            (locked.scope, locked.for_),
            (Scope::Account, Duration::from_secs(30))
        );
        assert_eq!(
            g.begin("ana", "10.0.0.2", t0).err(),
            Some(Duration::from_secs(30))
        );
        // Another account from the same address is not locked.
        assert!(g.begin("bea", "10.0.0.1", t0).is_ok());
        let t1 = t0 + Duration::from_secs(31);
        let a = g.begin("ana", "10.0.0.1", t1).unwrap();
        assert_eq!(
            g.failed(a, t1).map(|l| l.for_),
            Some(Duration::from_secs(60))
        );
        let t2 = t1 + Duration::from_secs(61);
        let a = g.begin("ana", "10.0.0.1", t2).unwrap();
        g.succeeded(a);
        let a = g.begin("ana", "10.0.0.1", t2).unwrap();
        assert_eq!(g.failed(a, t2), None, "the count starts again");
    }

    #[test]
    fn attempts_being_checked_count_and_an_abandoned_one_does_not() {
        let g = LoginGuard::new(policy());
        let t0 = Instant::now();
        let held: Vec<Attempt> = (0..3)
            .map(|_| g.begin("ana", "10.0.0.1", t0).unwrap())
            .collect();
        assert!(
            g.begin("ana", "10.0.0.1", t0).is_err(),
            "three already being checked"
        );
        assert_eq!(g.checking(), 3);
        drop(held);
        assert_eq!(g.checking(), 0);
        assert!(g.begin("ana", "10.0.0.1", t0).is_ok());
    }

    #[test]
    fn an_address_is_locked_across_accounts_and_forgotten_later() {
        let g = LoginGuard::new(policy());
        let t0 = Instant::now();
        for i in 0..10 {
            let a = g.begin(&format!("user{i}"), "10.0.0.9", t0).unwrap();
            let l = g.failed(a, t0);
            assert_eq!(l.is_some(), i == 9, "{i}");
        }
        assert!(g.begin("someone", "10.0.0.9", t0).is_err());
        assert!(g.begin("someone", "10.0.0.8", t0).is_ok());
        let later = t0 + Duration::from_secs(901);
        let a = g.begin("someone", "10.0.0.9", later).unwrap();
        assert_eq!(g.failed(a, later), None, "forgotten after a quiet while");
    }
}
