//! Reading a run journal back: `journal::read`, `journal::run_offsets`,
//! `report::resume::load` (a journal or a JSON report) and the report built
//! from each run in it. A damaged journal is an error, never a panic.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use indexmap::IndexMap;
use ivschat_playbook::journal::{
    self, EndRecord, FinishRecord, JournalRecord, Outcome, RunHeader, SkipRecord, StartRecord,
    Status, Target,
};
use ivschat_playbook::pipeline::plan_files;
use ivschat_playbook::plan::SettingsOverrides;
use ivschat_playbook::report;

use super::Fuzz;
use crate::support::fixtures::root;

fn line(out: &mut Vec<u8>, r: &JournalRecord) {
    serde_json::to_writer(&mut *out, r).unwrap();
    out.push(b'\n');
}

/// The journal of a run of `playbook`: its header, then each send started
/// and ended (or skipped) with a status that varies, and (unless cut short)
/// a finish; `runs` such runs, as a resumed run appends.
fn journal_of(playbook: &str, runs: usize, finish: bool, target: Option<Target>) -> Vec<u8> {
    let planned = plan_files(
        &[root().join(playbook)],
        None,
        &IndexMap::new(),
        &SettingsOverrides::default(),
        true,
    );
    let plan = planned.plan.expect("the playbook plans");
    let at: DateTime<Utc> = "2025-01-02T03:04:05.678Z".parse().unwrap();
    let mut out = Vec::new();
    for run in 0..runs {
        let started = at + Duration::minutes(run as i64);
        line(
            &mut out,
            &JournalRecord::Run(RunHeader {
                tool: "ivschat-playbook".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                plan_hash: plan.overview.plan_hash.clone(),
                started_at: started,
                playbooks: plan.overview.playbooks.clone(),
                settings: plan.overview.settings.clone(),
                sends: plan.sends.len(),
                resumed_from: (run > 0).then(|| "j.jsonl".to_string()),
                target: target.clone(),
                vars: IndexMap::from([("feature".to_string(), "x".to_string())]),
                verify: None,
                limit: None,
                timeline: None,
                grace_ms: None,
            }),
        );
        for (i, send) in plan.sends.iter().enumerate() {
            let status = Status::ALL[(i + run) % Status::ALL.len()];
            if run > 0 && i % 3 == 0 {
                line(
                    &mut out,
                    &JournalRecord::Skip(SkipRecord {
                        send: send.clone(),
                        status: Status::Skipped,
                        note: "sent by an earlier run".into(),
                        message_id: Some(format!("msg{i}")),
                    }),
                );
                continue;
            }
            let t = started + Duration::milliseconds(i as i64 * 37);
            line(
                &mut out,
                &JournalRecord::Start(StartRecord {
                    send: send.clone(),
                    at: t,
                }),
            );
            if status == Status::Unknown && i % 2 == 0 {
                continue; // started, never ended: the outcome is unknown
            }
            line(
                &mut out,
                &JournalRecord::End(EndRecord {
                    id: send.id.clone(),
                    account: send.account.clone(),
                    region: send.region.clone(),
                    outcome: Outcome {
                        status,
                        message_id: (status == Status::Sent).then(|| format!("msg{i}")),
                        request_id: Some(format!("req-{i}")),
                        attempts: 1 + (i as u32 % 3),
                        throttles: i as u32 % 2,
                        error_code: (status == Status::Failed)
                            .then(|| "ThrottlingException".to_string()),
                        error_message: (status == Status::Failed)
                            .then(|| "Rate exceeded".to_string()),
                    },
                    latency_ms: Some(12.5 + i as f64),
                    attempt_offsets_ms: vec![i as f64 * 37.0, i as f64 * 37.0 + 100.0],
                    at: t + Duration::milliseconds(13),
                }),
            );
        }
        if finish || run + 1 < runs {
            line(
                &mut out,
                &JournalRecord::Finish(FinishRecord {
                    at: started + Duration::seconds(30),
                    interrupted: run + 1 < runs,
                }),
            );
        }
    }
    out
}

/// The JSON report of the journal's last run.
fn report_of(journal: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    std::fs::write(&path, journal).unwrap();
    let offset = *journal::run_offsets(&path).unwrap().last().unwrap();
    let ended: DateTime<Utc> = "2025-01-02T04:00:00Z".parse().unwrap();
    let head = report::build::head(&path, offset, ended, false).unwrap();
    let mut out = Vec::new();
    report::build::write_json(&path, offset, &head, &mut out).unwrap();
    out
}

/// Every reader, on the file at `path`.
fn read_all(path: &Path) {
    let _ = journal::read(path);
    let _ = report::resume::load(path);
    if let Ok(offsets) = journal::run_offsets(path) {
        let ended: DateTime<Utc> = "2025-01-02T04:00:00Z".parse().unwrap();
        for offset in offsets {
            if let Ok(head) = report::build::head(path, offset, ended, true) {
                let _ = report::build::sends(path, offset, &head, |_| Ok(()));
            }
        }
    }
}

#[test]
fn reading_any_journal_never_panics() {
    let aws = Target::Aws {
        profile: Some("prod".into()),
        accounts: vec!["123456789012".into()],
    };
    let endpoint = Target::Endpoint {
        url: "http://127.0.0.1:4566".into(),
    };
    let journals = vec![
        journal_of(
            "playbooks/maintenance-window.yaml",
            1,
            true,
            Some(Target::Local),
        ),
        journal_of("playbooks/feature-launch.yaml", 2, true, Some(aws)),
        journal_of(
            "playbooks/release-announcement.yaml",
            3,
            false,
            Some(endpoint),
        ),
        journal_of("playbooks/maintenance-window.yaml", 1, false, None),
    ];
    let mut seeds: Vec<Vec<u8>> = journals.iter().map(|j| report_of(j)).collect();
    seeds.extend(journals);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    Fuzz::new("journal")
        .seeds(seeds)
        .tokens(&[
            "{\"type\":\"run\",",
            "{\"type\":\"start\",",
            "{\"type\":\"end\",",
            "{\"type\":\"skip\",",
            "{\"type\":\"finish\",",
            "{\"type\":",
            "\"status\":\"sent\"",
            "\"status\":\"unknown\"",
            "\"status\":\"planned\"",
            "\"status\":\"bogus\"",
            "\"at\":\"2025-01-02T03:04:05Z\"",
            "\"at\":\"+275760-09-13T00:00:00Z\"",
            "\"at\":\"1970-01-01T00:00:00Z\"",
            "\"attempts\":4294967296",
            "\"latency_ms\":1e308",
            "\"latency_ms\":-1",
            "\"attempt_offsets_ms\":[1e308,-1e308,0]",
            "\"sends\":18446744073709551615",
            "\"seq\":18446744073709551615",
            "\"id\":\"\"",
            "\"kind\":\"aws\"",
            "\"kind\":\"local\"",
            "\"plan_hash\":\"sha256:\"",
            "\"format_version\":99",
            "\"rate\":0",
            "\"rate\":-1",
            "\"burst\":0",
            "\\u0000",
            "\\ud800",
            "null",
            "[]",
            "{}",
        ])
        .run(|input| {
            std::fs::write(&path, input).unwrap();
            read_all(&path);
        });
}
