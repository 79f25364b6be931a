//! The README's Configuration table and the command line agree: every option of `serve`,
//! `worker` and `demo` has a row naming its flag, its environment variable and its default, and
//! every flag in the table exists.

use std::collections::BTreeSet;

use clap::CommandFactory;
use deskbridge::cli::Cli;

/// A row of the table: setting (environment variable), flag, default.
struct Row {
    setting: String,
    flag: String,
    default: String,
}

fn table() -> Vec<Row> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let start = readme
        .find("| setting | flag | default | meaning |")
        .expect("the README has a Configuration table");
    readme[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            assert!(cells.len() >= 4, "a table row with fewer than 4 cells: {l}");
            Row {
                setting: cells[0].to_string(),
                flag: cells[1].to_string(),
                default: cells[2].to_string(),
            }
        })
        .collect()
}

#[test]
fn every_option_of_serve_worker_and_demo_has_its_row() {
    let rows = table();
    let cli = Cli::command();
    let mut problems = Vec::new();
    let mut flags = BTreeSet::new();
    for sub in ["serve", "worker", "demo"] {
        let cmd = cli.find_subcommand(sub).expect("subcommand");
        for arg in cmd.get_arguments().chain(cli.get_arguments()) {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "help" | "version") {
                continue;
            }
            flags.insert(long.to_string());
            let needle = format!("`--{long}`");
            let Some(row) = rows.iter().find(|r| r.flag.contains(&needle)) else {
                problems.push(format!("no row for `deskbridge {sub} --{long}`"));
                continue;
            };
            if let Some(env) = arg.get_env().and_then(|e| e.to_str())
                && !row.setting.contains(&format!("`{env}`"))
            {
                problems.push(format!("the row of --{long} does not name `{env}`"));
            }
            let default: Vec<String> = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            let default = default.join(",");
            if !default.is_empty() && !row.default.contains(&format!("`{default}`")) {
                problems.push(format!(
                    "the row of --{long} gives the default {:?}, `deskbridge {sub}` has `{default}`",
                    row.default
                ));
            }
        }
    }
    for row in &rows {
        for flag in row.flag.split('`').filter(|f| f.starts_with("--")) {
            if !flags.contains(flag.trim_start_matches("--")) {
                problems.push(format!("the table lists {flag}, which no command has"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "README Configuration table:\n{}",
        problems.join("\n")
    );
}
