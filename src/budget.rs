//! A memory budget for untrusted work on one thread: an allocator wrapper
//! that counts what a thread allocates while a budget is armed, and what
//! happens when the budget is spent.
//!
//! Attribute templates come from playbooks, and a playbook may come from a
//! pull request. minijinja's fuel bounds the steps a template takes, not the
//! memory one step takes: `{% set x = x ~ x %}` doubles a string each time,
//! so forty steps ask for a terabyte. Rust's allocation API cannot fail
//! gracefully (a failed allocation aborts the process) and a render cannot
//! be stopped from outside, so a spent budget ends the process at once,
//! through the handler the binary installs with [`on_spent`], with a message
//! naming the template. The budget counts only while the binary's global
//! allocator is a [`Budgeted`]; a library user that keeps its own allocator
//! gets fuel and recursion limits only.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::OnceLock;

/// A global allocator that charges the current thread's armed budget.
pub struct Budgeted<A>(pub A);

thread_local! {
    /// Bytes the armed budget has left; negative once spent.
    static LEFT: Cell<isize> = const { Cell::new(0) };
    /// Whether this thread's allocations are being counted.
    static ARMED: Cell<bool> = const { Cell::new(false) };
    /// What the budget is for (address and length of a `str` that outlives
    /// the armed call), for the handler's message.
    static WHAT: Cell<(*const u8, usize)> = const { Cell::new((std::ptr::null(), 0)) };
    /// The armed budget in bytes, for the handler's message.
    static BUDGET: Cell<usize> = const { Cell::new(0) };
}

/// What to do when a budget is spent: given what it was for and the budget
/// in bytes. It must not return (the work cannot go on), and it runs inside
/// an allocation, so it must not wait for a lock the work may hold: write
/// with plain system calls and exit.
pub type SpentHandler = fn(what: &str, budget: usize) -> !;

static HANDLER: OnceLock<SpentHandler> = OnceLock::new();

/// Installs what happens when a budget is spent (once; later calls are
/// ignored). Without one, a spent budget aborts the process.
pub fn on_spent(handler: SpentHandler) {
    let _ = HANDLER.set(handler);
}

/// Runs `f` with at most `bytes` of net allocation on this thread (what it
/// allocates minus what it frees). `what` names the work in the message if
/// the budget is spent. Calls do not nest: an inner call's budget replaces
/// the outer one until it returns.
pub fn within<T>(bytes: usize, what: &str, f: impl FnOnce() -> T) -> T {
    struct Disarm;
    impl Drop for Disarm {
        fn drop(&mut self) {
            let _ = ARMED.try_with(|a| a.set(false));
        }
    }
    let _ = WHAT.try_with(|w| w.set((what.as_ptr(), what.len())));
    let _ = LEFT.try_with(|l| l.set(isize::try_from(bytes).unwrap_or(isize::MAX)));
    let _ = ARMED.try_with(|a| a.set(true));
    let _ = BUDGET.try_with(|b| b.set(bytes));
    let _disarm = Disarm;
    f()
}

/// Charges `size` bytes to an armed budget.
fn charge(size: usize) {
    let armed = ARMED.try_with(Cell::get).unwrap_or(false);
    if !armed {
        return;
    }
    let left = LEFT.try_with(|l| {
        let left = l
            .get()
            .saturating_sub(isize::try_from(size).unwrap_or(isize::MAX));
        l.set(left);
        left
    });
    if matches!(left, Ok(l) if l < 0) {
        // Stop counting first: the handler may allocate.
        let _ = ARMED.try_with(|a| a.set(false));
        spent();
    }
}

/// Gives `size` bytes back to an armed budget.
fn refund(size: usize) {
    if ARMED.try_with(Cell::get).unwrap_or(false) {
        let _ = LEFT.try_with(|l| {
            l.set(
                l.get()
                    .saturating_add(isize::try_from(size).unwrap_or(isize::MAX)),
            )
        });
    }
}

#[cold]
fn spent() -> ! {
    let (ptr, len) = WHAT.try_with(Cell::get).unwrap_or((std::ptr::null(), 0));
    let what = if ptr.is_null() {
        ""
    } else {
        // SAFETY: `within` stored the address and length of a `str` that
        // lives until it returns, and it has not returned: the allocation
        // being charged happens inside its `f`.
        unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(ptr, len)) }
    };
    let budget = BUDGET.try_with(Cell::get).unwrap_or(0);
    match HANDLER.get() {
        Some(h) => h(what, budget),
        None => std::process::abort(),
    }
}

// SAFETY: every method forwards to the inner allocator unchanged; the
// counting touches only const-initialised thread-locals without
// destructors, which never allocate.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Budgeted<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        charge(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        charge(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        refund(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            charge(new_size - layout.size());
        } else {
            refund(layout.size() - new_size);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_counts_and_disarms() {
        // The unit tests' allocator is not `Budgeted`: nothing is charged,
        // but arming and disarming are observable.
        let v = within(10, "test", || {
            assert!(ARMED.with(Cell::get));
            charge(4);
            LEFT.with(Cell::get)
        });
        assert_eq!(v, 6);
        assert!(!ARMED.with(Cell::get));
        charge(1_000_000); // disarmed: no effect, no handler
        refund(3);
        assert_eq!(LEFT.with(Cell::get), 6);
    }

    #[test]
    fn a_panic_inside_disarms() {
        let r = std::panic::catch_unwind(|| within(10, "x", || panic!("inside")));
        assert!(r.is_err());
        assert!(!ARMED.with(Cell::get));
    }
}
