//! The weekly restore test's script (REQ-T239), taken from the rendered ConfigMap that the
//! CronJob runs: bash parses it, shellcheck finds nothing in it, and run against stand-ins
//! for Barman Cloud and PostgreSQL's programs it restores the latest completed backup,
//! prepares recovery from the WAL archive and fails on every failed step.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

use daactl::render::Resource;
use serde_json::Value;

/// Every restore script a CronJob runs, by environment: the ConfigMap key its container's
/// command names under the ConfigMap volume's mount path.
fn scripts() -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for rendered in common::render_repo() {
        let of_kind = |kind: &'static str| {
            rendered
                .resources
                .iter()
                .filter(move |r: &&Resource| r.kind == kind)
        };
        for job in of_kind("CronJob") {
            let pod = &job.value["spec"]["jobTemplate"]["spec"]["template"]["spec"];
            let volumes = pod["volumes"].as_array().cloned().unwrap_or_default();
            for container in pod["containers"].as_array().into_iter().flatten() {
                let command: Vec<&str> = container["command"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                for mount in container["volumeMounts"].as_array().into_iter().flatten() {
                    let Some(volume) = volumes.iter().find(|v| v["name"] == mount["name"]) else {
                        continue;
                    };
                    let Some(config_map) = volume["configMap"]["name"].as_str() else {
                        continue;
                    };
                    let prefix = format!("{}/", mount["mountPath"].as_str().unwrap());
                    let Some(key) = command.iter().find_map(|arg| arg.strip_prefix(&prefix)) else {
                        continue;
                    };
                    let map = of_kind("ConfigMap")
                        .find(|m| m.name == config_map && m.namespace == job.namespace)
                        .unwrap_or_else(|| panic!("ConfigMap `{config_map}` is rendered"));
                    let text = map.value["data"][key]
                        .as_str()
                        .unwrap_or_else(|| panic!("ConfigMap `{config_map}` has `{key}`"));
                    found.insert(
                        format!("{}/{}", rendered.environment, job.name),
                        text.to_owned(),
                    );
                }
            }
        }
    }
    found
}

#[test]
fn every_environment_with_backups_runs_a_restore_script() {
    let names: Vec<String> = scripts().into_keys().collect();
    assert_eq!(
        names,
        [
            "production/restore-verify-daa-postgres",
            "staging/restore-verify-daa-postgres"
        ]
    );
}

#[test]
fn bash_parses_the_restore_script() {
    for (name, text) in scripts() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("restore-verify.sh");
        std::fs::write(&file, &text).unwrap();
        let output = Command::new("bash").arg("-n").arg(&file).output().unwrap();
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn shellcheck_finds_nothing_in_the_restore_script() {
    let Some(shellcheck) = common::tool("shellcheck/bin/shellcheck") else {
        return;
    };
    for (name, text) in scripts() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("restore-verify.sh");
        std::fs::write(&file, &text).unwrap();
        let output = Command::new(&shellcheck)
            .args(["--shell=bash", "--severity=style", "--external-sources"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{name}: shellcheck reports:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}

/// A fake program in `bin`: a bash script body.
fn stub(bin: &Path, name: &str, body: &str) {
    let path = bin.join(name);
    std::fs::write(&path, format!("#!/bin/bash\nset -eu\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// What a stand-in run did: its exit status, stderr, the restored folder and the log of the
/// programs it called.
struct Run {
    success: bool,
    stderr: String,
    pgdata: std::path::PathBuf,
    calls: String,
    _dir: tempfile::TempDir,
}

/// Runs the production script with Barman Cloud and PostgreSQL's programs replaced by stubs
/// whose behaviour the environment variables `STUB_*` choose.
fn run(stubs: &[(&str, &str)]) -> Run {
    let text = scripts()
        .remove("production/restore-verify-daa-postgres")
        .expect("production has a restore script");
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let calls = dir.path().join("calls.log");
    stub(
        &bin,
        "barman-cloud-backup-list",
        r#"echo "backup-list $*" >> "$CALLS"; printf '%s' "$STUB_BACKUPS""#,
    );
    stub(
        &bin,
        "barman-cloud-restore",
        r#"echo "restore $*" >> "$CALLS"; mkdir -p "${@: -1}/pg_wal"; echo 15 > "${@: -1}/PG_VERSION"; exit "${STUB_RESTORE_EXIT:-0}""#,
    );
    stub(
        &bin,
        "pg_ctl",
        r#"echo "pg_ctl $*" >> "$CALLS"; case "$*" in *start*) exit "${STUB_START_EXIT:-0}";; esac"#,
    );
    stub(
        &bin,
        "psql",
        r#"case "$*" in *pg_is_in_recovery*) echo "${STUB_IN_RECOVERY:-f}";; *) echo "${STUB_TABLES:-12}";; esac"#,
    );
    stub(
        &bin,
        "pg_amcheck",
        r#"echo "pg_amcheck $*" >> "$CALLS"; exit "${STUB_AMCHECK_EXIT:-0}""#,
    );
    let script = dir.path().join("restore-verify.sh");
    std::fs::write(&script, text).unwrap();
    let pgdata = dir.path().join("restore/pgdata");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let backups = r#"{"backups_list": [
        {"backup_id": "20261101T020000", "status": "DONE"},
        {"backup_id": "20261122T020000", "status": "DONE"},
        {"backup_id": "20261123T020000", "status": "FAILED"}]}"#;
    let mut command = Command::new("bash");
    command
        .arg(&script)
        .env_clear()
        .env("PATH", path)
        .env("CALLS", &calls)
        .env("STUB_BACKUPS", backups)
        .env("BACKUP_DESTINATION", "s3://daa-production-backups/postgres")
        .env("BACKUP_SERVER", "daa-postgres")
        .env("APP_DATABASE", "daa")
        .env("PGDATA", &pgdata)
        .env("PGHOST", dir.path())
        .env("RECOVERY_TIMEOUT_SECONDS", "60");
    for (key, value) in stubs {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    Run {
        success: output.status.success(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        calls: std::fs::read_to_string(&calls).unwrap_or_default(),
        pgdata,
        _dir: dir,
    }
}

#[test]
fn the_script_restores_the_latest_completed_backup_and_replays_the_archive() {
    let run = run(&[]);
    assert!(run.success, "{}", run.stderr);
    assert!(
        run.calls.contains(
            "restore --cloud-provider aws-s3 s3://daa-production-backups/postgres daa-postgres 20261122T020000 "
        ),
        "{}",
        run.calls
    );
    let config = std::fs::read_to_string(run.pgdata.join("postgresql.conf")).unwrap();
    assert!(
        config.contains("restore_command = 'barman-cloud-wal-restore"),
        "{config}"
    );
    assert!(config.contains("archive_mode = off"), "{config}");
    assert!(run.pgdata.join("recovery.signal").is_file());
    assert!(
        run.calls
            .contains("pg_amcheck --all --install-missing --heapallindexed"),
        "{}",
        run.calls
    );
    // The server is stopped on the way out.
    assert!(run.calls.trim_end().ends_with("stop"), "{}", run.calls);
}

#[test]
fn the_script_fails_on_every_failed_step() {
    for (case, stubs) in [
        (
            "no completed backup",
            &[("STUB_BACKUPS", r#"{"backups_list": []}"#)][..],
        ),
        ("restore fails", &[("STUB_RESTORE_EXIT", "1")]),
        ("recovery does not finish", &[("STUB_START_EXIT", "1")]),
        ("still in recovery", &[("STUB_IN_RECOVERY", "t")]),
        ("corruption found", &[("STUB_AMCHECK_EXIT", "2")]),
        ("no application tables", &[("STUB_TABLES", "0")]),
    ] {
        let run = run(stubs);
        assert!(!run.success, "{case}: the script succeeded\n{}", run.stderr);
    }
}
