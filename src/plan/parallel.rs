//! Rendering the rooms on every core, handed over in plan order, so what
//! the scan computes does not depend on how many threads rendered it.
//!
//! Rooms are rendered in chunks, which the threads take in turn; the
//! calling thread hands each chunk's outcomes over in order (rendering a
//! chunk itself while the next one is not ready), and the others wait when
//! they are too far ahead, so at most a few chunks are held at once.
//!
//! One rule depends on order: a template that runs out of fuel for a room
//! is not tried for the rooms after it (see [`CompiledAttr::gave_up_at`]).
//! A room rendered on another thread may have been tried before the first
//! room it spun for was known, so [`GiveUps`] applies the rule again as the
//! outcomes are handed over: each comes out as it would rendering the rooms
//! one by one.
//!
//! [`CompiledAttr::gave_up_at`]: super::planner::CompiledAttr::gave_up_at

use super::cache::RenderCache;
use super::planner::Planner;
use super::render::{Outcome, RenderProblem};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

/// Rooms in a chunk.
const CHUNK: usize = 64;

/// How many chunks past the one handed over next a thread may render.
const AHEAD: usize = 16;

/// The most threads rendering at once.
const MAX_THREADS: usize = 8;

/// Plans with fewer rooms are rendered on the calling thread alone.
const MIN_PARALLEL_ROOMS: usize = 2 * CHUNK;

/// The outcomes of a chunk's rooms, room by room.
type Chunk<'p> = Vec<Vec<Outcome<'p>>>;

/// What the threads share.
struct Shared<'p> {
    /// Rendered chunks not yet handed over, by number.
    done: BTreeMap<usize, Chunk<'p>>,
    /// Chunks handed over so far.
    handed: usize,
    /// A rendering thread panicked: stop.
    failed: bool,
}

struct Work<'p> {
    next: AtomicUsize,
    shared: Mutex<Shared<'p>>,
    changed: Condvar,
    chunks: usize,
}

impl<'p> Work<'p> {
    fn lock(&self) -> MutexGuard<'_, Shared<'p>> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Marks the work failed if its thread unwinds, so the others stop waiting.
struct FailOnPanic<'a, 'p>(&'a Work<'p>);

impl Drop for FailOnPanic<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().failed = true;
            self.0.changed.notify_all();
        }
    }
}

impl Planner {
    /// Renders every room, giving `consume` each room's place in the plan
    /// and its outcomes, in plan order; `ids`: name the sends.
    pub(super) fn render_all<'p>(
        &'p self,
        ids: bool,
        mut consume: impl FnMut(usize, Vec<Outcome<'p>>),
    ) {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_THREADS);
        if threads < 2 || self.rooms.len() < MIN_PARALLEL_ROOMS {
            let templates = self.templates();
            let mut cache = RenderCache::default();
            for (at, room) in self.rooms.iter().enumerate() {
                let mut outcomes = Vec::new();
                self.render_room(&templates, &mut cache, (room, at, ids), None, |o| {
                    outcomes.push(o)
                });
                consume(at, outcomes);
            }
            return;
        }
        let work = Work {
            next: AtomicUsize::new(0),
            shared: Mutex::new(Shared {
                done: BTreeMap::new(),
                handed: 0,
                failed: false,
            }),
            changed: Condvar::new(),
            chunks: self.rooms.len().div_ceil(CHUNK),
        };
        std::thread::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(|| self.render_chunks(&work, ids));
            }
            self.hand_over(&work, ids, &mut consume);
        });
    }

    /// The rooms of chunk `k` rendered.
    fn render_chunk<'p>(
        &'p self,
        (templates, cache): (&super::planner::Templates<'_>, &mut RenderCache),
        k: usize,
        ids: bool,
    ) -> Chunk<'p> {
        let end = ((k + 1) * CHUNK).min(self.rooms.len());
        (k * CHUNK..end)
            .map(|at| {
                let mut outcomes = Vec::new();
                let room = &self.rooms[at];
                self.render_room(templates, cache, (room, at, ids), None, |o| {
                    outcomes.push(o)
                });
                outcomes
            })
            .collect()
    }

    /// A rendering thread: takes chunks in turn until none is left.
    fn render_chunks<'p>(&'p self, work: &Work<'p>, ids: bool) {
        let _fail = FailOnPanic(work);
        let templates = self.templates();
        let mut cache = RenderCache::default();
        loop {
            let k = work.next.fetch_add(1, Ordering::Relaxed);
            if k >= work.chunks {
                return;
            }
            let mut shared = work.lock();
            while k >= shared.handed + AHEAD && !shared.failed {
                shared = work.changed.wait(shared).unwrap_or_else(|e| e.into_inner());
            }
            if shared.failed {
                return;
            }
            drop(shared);
            let chunk = self.render_chunk((&templates, &mut cache), k, ids);
            work.lock().done.insert(k, chunk);
            work.changed.notify_all();
        }
    }

    /// The calling thread: hands the chunks over in order, rendering one
    /// itself whenever the next is not ready.
    fn hand_over<'p>(
        &'p self,
        work: &Work<'p>,
        ids: bool,
        consume: &mut impl FnMut(usize, Vec<Outcome<'p>>),
    ) {
        let _fail = FailOnPanic(work);
        let templates = self.templates();
        let mut cache = RenderCache::default();
        for next in 0..work.chunks {
            let ready = work.lock().done.remove(&next);
            let chunk = match ready {
                Some(c) => c,
                None => loop {
                    let k = work.next.fetch_add(1, Ordering::Relaxed);
                    if k >= work.chunks {
                        // Every chunk is taken: wait for the next one.
                        match wait_for(work, next) {
                            Some(c) => break c,
                            None => return,
                        }
                    }
                    let chunk = self.render_chunk((&templates, &mut cache), k, ids);
                    if k == next {
                        break chunk;
                    }
                    let mut shared = work.lock();
                    shared.done.insert(k, chunk);
                    if let Some(c) = shared.done.remove(&next) {
                        break c;
                    }
                },
            };
            for (i, outcomes) in chunk.into_iter().enumerate() {
                consume(next * CHUNK + i, outcomes);
            }
            work.lock().handed = next + 1;
            work.changed.notify_all();
        }
    }
}

/// Waits for chunk `next` from another thread; `None` if one failed.
fn wait_for<'p>(work: &Work<'p>, next: usize) -> Option<Chunk<'p>> {
    let mut shared = work.lock();
    loop {
        if let Some(c) = shared.done.remove(&next) {
            return Some(c);
        }
        if shared.failed {
            return None;
        }
        shared = work.changed.wait(shared).unwrap_or_else(|e| e.into_inner());
    }
}

/// The templates that ran out of fuel for a room already handed over, and
/// what that rule makes of the outcomes after it.
#[derive(Default)]
pub(super) struct GiveUps {
    /// By attribute slot.
    spun: Vec<bool>,
}

impl GiveUps {
    /// `o` as rendering the rooms in order gives it: each attribute whose
    /// template ran out of fuel for an earlier room is not tried (an empty
    /// `Failed`), which makes the send fail on it whatever else it did; then
    /// notes the templates that ran out of fuel here.
    pub(super) fn apply(&mut self, planner: &Planner, o: &mut Outcome<'_>) {
        let compiled = &planner.compiled[o.pi][o.ei];
        let slot = |ai: usize| compiled[ai].as_ref().map(|c| c.slot);
        let given_up: Vec<usize> = (0..compiled.len())
            .filter(|&ai| slot(ai).is_some_and(|s| self.spun.get(s) == Some(&true)))
            .collect();
        if !given_up.is_empty() {
            let problems = match std::mem::replace(&mut o.result, Err(Vec::new())) {
                Ok(_) => Vec::new(),
                Err(p) => p,
            };
            let mut kept: Vec<RenderProblem> = problems
                .into_iter()
                .filter(|p| attr_of(p).is_some_and(|a| !given_up.contains(&a)))
                .collect();
            kept.extend(given_up.iter().map(|&attr| RenderProblem::Failed {
                attr,
                message: String::new(),
                fuel: false,
            }));
            kept.sort_by_key(|p| attr_of(p).unwrap_or(usize::MAX));
            o.result = Err(kept);
        }
        if let Err(problems) = &o.result {
            for p in problems {
                if let RenderProblem::Failed {
                    attr, fuel: true, ..
                } = p
                    && let Some(s) = slot(*attr)
                {
                    if self.spun.len() <= s {
                        self.spun.resize(s + 1, false);
                    }
                    self.spun[s] = true;
                }
            }
        }
    }
}

/// The attribute a problem is with; `None` for problems of the whole send.
fn attr_of(p: &RenderProblem) -> Option<usize> {
    match p {
        RenderProblem::Undefined { attr, .. } | RenderProblem::Failed { attr, .. } => Some(*attr),
        RenderProblem::TooLarge { .. } | RenderProblem::Contract(_) => None,
    }
}
