//! The memory budget of a template's rendering, through the real handler:
//! this test binary's allocator is `Budgeted` as the tool's is, and a child
//! run of the test spends a budget.

use std::process::Command;

use ivschat_playbook::budget;

const CHILD: &str = "IVSCHAT_PLAYBOOK_BUDGET_CHILD";

/// In the child: work inside a 1 MiB budget that frees as it goes stays
/// within it; then work that keeps 64 MiB ends the process through the
/// handler the tool installs.
fn child() {
    budget::on_spent(ivschat_playbook::app::exit::template_memory_spent);
    budget::within(1 << 20, "small work", || {
        for _ in 0..1000 {
            std::hint::black_box(vec![1u8; 512 << 10]);
        }
    });
    budget::within(
        1 << 20,
        "playbook.yaml:7:10: the template of attribute `a`",
        || {
            std::hint::black_box(vec![1u8; 64 << 20]);
        },
    );
    // Not reached when the budget holds.
    std::process::exit(0);
}

#[test]
fn a_spent_budget_ends_the_process_naming_the_work() {
    if std::env::var_os(CHILD).is_some() {
        child();
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "budget::a_spent_budget_ends_the_process_naming_the_work",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "error: playbook.yaml:7:10: the template of attribute `a` needs more than 1 MiB of memory to render, so nothing was sent"
        ),
        "{err}"
    );
    assert!(!err.contains("small work"), "{err}");
}
