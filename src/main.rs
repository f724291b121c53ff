//! The `ivschat-playbook` binary: the allocator, then [`ivschat_playbook::app::main`],
//! which parses the command line, runs the command and chooses the exit status.

use std::process::ExitCode;

use ivschat_playbook::budget::Budgeted;

/// mimalloc rather than the system allocator: a run makes millions of small
/// short-lived allocations across the runtime's threads (the SDK's request
/// pipeline, journal lines), where glibc's malloc spent about a seventh of
/// the run's CPU time. Tuned by [`tune_allocator`]. Wrapped in
/// [`Budgeted`], which bounds the memory a playbook's template may take.
#[global_allocator]
static ALLOCATOR: Budgeted<mimalloc::MiMalloc> = Budgeted(mimalloc::MiMalloc);

/// mimalloc's `mi_option_purge_delay`, which the bindings do not name: in
/// `mi_option_e` it comes right before `mi_option_use_numa_nodes`.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t =
    libmimalloc_sys::mi_option_use_numa_nodes - 1;

/// Give freed pages back after 10 ms rather than mimalloc's default of a
/// second. Loading a large playbook frees its parse tree while it builds
/// rooms of other sizes; with the default, that memory stayed committed and
/// a 100,000-room validation peaked at 147 MB instead of 117 MB. Sending is
/// as fast as with the default (purging at once, 112 MB, was about 4%
/// slower).
fn tune_allocator() {
    // SAFETY: setting an option is a plain store mimalloc allows at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) };
}

/// No transparent huge pages: mimalloc asks for them, and the kernel then
/// clears a whole 2 MiB page the first time any byte of it is touched. For
/// a process that runs for a second that was most of its system time:
/// validating 100,000 rooms peaked at 147 MB instead of 127 MB and spent
/// 0.7 s instead of 0.2 s in the kernel. It runs before `main` (from the
/// binary's initialisers), since the runtime allocates before `main`, and
/// so would the first pages.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static NO_HUGE_PAGES: extern "C" fn() = {
    extern "C" fn no_huge_pages() {
        // SAFETY: PR_SET_THP_DISABLE with 1 and three zeroes (as the
        // `unsigned long`s the call reads) only sets a flag of this
        // process; on a kernel without it the call fails, harmlessly.
        unsafe {
            libc::prctl(
                libc::PR_SET_THP_DISABLE,
                1 as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
            )
        };
    }
    no_huge_pages
};

fn main() -> ExitCode {
    tune_allocator();
    ivschat_playbook::app::main()
}
