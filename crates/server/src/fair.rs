//! The search slots, shared fairly between users.
//!
//! Catalog and index work runs on a fixed number of slots (one per core). One user may hold at
//! most `per_user` of them (by default half, at least one), and when slots free up they go to
//! the waiting users in turn (round robin), each user's own requests in the order they came.
//! So one reporter's heavy queries queue behind each other, not in front of everyone else: a
//! colleague's search takes the next free slot.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// The slots and who holds or waits for them.
pub struct Fair {
    slots: usize,
    per_user: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    running: usize,
    users: HashMap<String, User>,
    /// Users with waiting requests, in turn order.
    turn: VecDeque<String>,
}

#[derive(Default)]
struct User {
    running: usize,
    waiting: VecDeque<oneshot::Sender<Permit>>,
}

/// A slot held; given back when dropped.
pub struct Permit {
    fair: Arc<Fair>,
    user: String,
    armed: bool,
}

impl Drop for Permit {
    fn drop(&mut self) {
        if self.armed {
            self.fair.release(&self.user);
        }
    }
}

/// How many requests of a user run and wait.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Load {
    pub running: usize,
    pub waiting: usize,
}

impl Fair {
    pub fn new(slots: usize, per_user: usize) -> Arc<Fair> {
        let slots = slots.max(1);
        Arc::new(Fair {
            slots,
            per_user: per_user.clamp(1, slots),
            state: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for `user`: at once when one is free and the user holds fewer than their share,
    /// else when their turn comes. `None` only if the scheduler is gone.
    pub async fn acquire(self: &Arc<Self>, user: &str) -> Option<Permit> {
        let rx = {
            let mut st = self.lock();
            let running = st.running;
            let u = st.users.entry(user.to_owned()).or_default();
            if running < self.slots && u.running < self.per_user && u.waiting.is_empty() {
                u.running += 1;
                st.running += 1;
                return Some(Permit {
                    fair: self.clone(),
                    user: user.to_owned(),
                    armed: true,
                });
            }
            let (tx, rx) = oneshot::channel();
            u.waiting.push_back(tx);
            if !st.turn.iter().any(|n| n == user) {
                st.turn.push_back(user.to_owned());
            }
            rx
        };
        rx.await.ok()
    }

    fn release(self: &Arc<Self>, user: &str) {
        let mut st = self.lock();
        st.running = st.running.saturating_sub(1);
        if let Some(u) = st.users.get_mut(user) {
            u.running = u.running.saturating_sub(1);
            if u.running == 0 && u.waiting.is_empty() {
                st.users.remove(user);
            }
        }
        self.dispatch(&mut st);
    }

    /// Hands free slots to waiting users in turn.
    fn dispatch(self: &Arc<Self>, st: &mut State) {
        let mut passed = 0;
        while st.running < self.slots && passed < st.turn.len() {
            let Some(name) = st.turn.pop_front() else {
                break;
            };
            let Some(u) = st.users.get_mut(&name) else {
                continue;
            };
            if u.running >= self.per_user {
                // At their share: their turn waits for one of their own to finish.
                st.turn.push_back(name);
                passed += 1;
                continue;
            }
            let mut granted = false;
            while let Some(tx) = u.waiting.pop_front() {
                let permit = Permit {
                    fair: self.clone(),
                    user: name.clone(),
                    armed: true,
                };
                match tx.send(permit) {
                    Ok(()) => {
                        granted = true;
                        break;
                    }
                    // The request went away while it waited.
                    Err(mut p) => p.armed = false,
                }
            }
            if granted {
                u.running += 1;
                st.running += 1;
                passed = 0;
            }
            if u.waiting.is_empty() {
                if u.running == 0 {
                    st.users.remove(&name);
                }
            } else {
                st.turn.push_back(name);
            }
        }
    }

    /// A user's requests running and waiting.
    pub fn load(&self, user: &str) -> Load {
        let st = self.lock();
        st.users.get(user).map_or(Load::default(), |u| Load {
            running: u.running,
            waiting: u.waiting.iter().filter(|t| !t.is_closed()).count(),
        })
    }

    /// Slots in use.
    pub fn running(&self) -> usize {
        self.lock().running
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// Runs `n` jobs of `user` that each hold their slot until `gate` is released, recording
    /// the order in which jobs start.
    /// Starts `n` jobs of `user` that each hold their slot until `gate` lets one go, one job
    /// at a time: each is holding or queued before the next is spawned, so that a user's own
    /// jobs queue in the order of their numbers (spawned together, two tasks reach the queue
    /// in whatever order the runtime runs them).
    async fn spawn_held(
        fair: &Arc<Fair>,
        user: &'static str,
        n: usize,
        gate: &Arc<tokio::sync::Notify>,
        started: &Arc<Mutex<Vec<String>>>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let before = {
            let l = fair.load(user);
            l.running + l.waiting
        };
        let mut handles = Vec::new();
        for i in 0..n {
            let (f, gate, started) = (fair.clone(), gate.clone(), started.clone());
            handles.push(tokio::spawn(async move {
                let p = f.acquire(user).await;
                started.lock().unwrap().push(format!("{user}{i}"));
                gate.notified().await;
                drop(p);
            }));
            until("the job holds or waits", || {
                let l = fair.load(user);
                l.running + l.waiting == before + i + 1
            })
            .await;
        }
        handles
    }

    async fn until(what: &str, f: impl Fn() -> bool) {
        for _ in 0..2000 {
            if f() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("never: {what}");
    }

    /// User A holds every slot it may with jobs that do not finish; user B's job is served
    /// while all of A's are still running or waiting.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_user_cannot_hold_every_slot() {
        let fair = Fair::new(2, 1);
        let gate = Arc::new(tokio::sync::Notify::new());
        let started = Arc::new(Mutex::new(Vec::new()));
        let a = spawn_held(&fair, "a", 5, &gate, &started).await;
        until("A's jobs admitted", || {
            let l = fair.load("a");
            l.running + l.waiting == 5
        })
        .await;
        assert_eq!(
            fair.load("a").running,
            1,
            "A holds one slot, its others wait"
        );
        let served = Arc::new(AtomicUsize::new(0));
        let b = {
            let (fair, served) = (fair.clone(), served.clone());
            tokio::spawn(async move {
                let _p = fair.acquire("b").await;
                served.fetch_add(1, Ordering::SeqCst);
            })
        };
        until("B served", || served.load(Ordering::SeqCst) == 1).await;
        assert_eq!(
            fair.load("a"),
            Load {
                running: 1,
                waiting: 4
            },
            "B was served while A's jobs still held or waited"
        );
        b.await.unwrap();
        // A's jobs then run one after another, in the order they came.
        for n in 1..=5 {
            until("A's next job", || started.lock().unwrap().len() == n).await;
            gate.notify_one();
        }
        for h in a {
            h.await.unwrap();
        }
        let order = started.lock().unwrap().clone();
        assert_eq!(order, ["a0", "a1", "a2", "a3", "a4"]);
    }

    /// With several users waiting, freed slots go round the users, not to whoever queued most.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn freed_slots_go_round_the_users() {
        let fair = Fair::new(1, 1);
        let gate = Arc::new(tokio::sync::Notify::new());
        let started = Arc::new(Mutex::new(Vec::new()));
        let mut all = spawn_held(&fair, "a", 3, &gate, &started).await;
        until("a queued", || fair.load("a").waiting == 2).await;
        all.extend(spawn_held(&fair, "b", 2, &gate, &started).await);
        until("b queued", || fair.load("b").waiting == 2).await;
        all.extend(spawn_held(&fair, "c", 1, &gate, &started).await);
        until("c queued", || fair.load("c").waiting == 1).await;
        for n in 1..=6 {
            until("started", || started.lock().unwrap().len() == n).await;
            gate.notify_one();
        }
        for h in all {
            h.await.unwrap();
        }
        let order = started.lock().unwrap().clone();
        assert_eq!(order, ["a0", "a1", "b0", "c0", "a2", "b1"]);
    }

    /// A request that gives up while waiting does not keep a slot.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_wait_frees_its_turn() {
        let fair = Fair::new(1, 1);
        let held = fair.acquire("a").await;
        let waiting = {
            let fair = fair.clone();
            tokio::spawn(async move { fair.acquire("b").await.map(|_| ()) })
        };
        until("b waits", || fair.load("b").waiting == 1).await;
        waiting.abort();
        let _ = waiting.await;
        drop(held);
        assert_eq!(fair.running(), 0);
        let again = tokio::time::timeout(Duration::from_secs(10), fair.acquire("c")).await;
        assert!(again.is_ok_and(|p| p.is_some()));
    }
}
