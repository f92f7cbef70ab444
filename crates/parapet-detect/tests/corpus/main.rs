//! The corpus run: the engine over public attack and benign data (see `README.md` here),
//! printing per class and source the detection rate, the false-positive rate and, on
//! request, the misses; it exits non-zero when a rate crosses its floor.
//!
//! ```text
//! cargo test -p parapet-detect --test corpus -- [--paranoia N] [--misses] [--fps]
//!                                               [--only SUBSTRING] [--no-floors] [--rules]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod load;

use load::{Case, Label};
use parapet_detect::{Engine, Settings, Verdict};
use std::collections::BTreeMap;
use std::process::ExitCode;

/// Floors at paranoia 1: (set, least detection rate, most false-positive rate), in
/// percent. Set a little under the measured rates (see docs/detect.md), so that a change
/// which loses detection or gains false positives fails here. CRS's "no-match" cases are
/// mostly real payloads that a test exempts from one CRS rule (docs/detect.md): catching
/// more attacks raises that rate, so its ceiling is loose; the benign set is the measure of
/// false positives.
const FLOORS: &[(&str, f64, f64)] = &[
    ("libinjection", 98.8, 0.5),
    ("benign", 0.0, 0.25),
    ("crs", 86.5, 14.0),
    (CORPUS, 96.8, 3.5),
    ("fields", 0.0, 1.4),
    ("fields-ops", 0.0, 8.6),
];

/// The row that sums the shared corpus's sets but `benign-code` (code sent on purpose, which
/// needs per-route exclusions): all the attacks, and all the benign inputs, CRS's no-match
/// cases included. `fields` and `fields-ops` (values written for Parapet,
/// `fields/README.md`) are not part of the shared corpus and are reported apart.
const CORPUS: &str = "corpus";

struct Options {
    paranoia: u8,
    misses: bool,
    fps: bool,
    only: Option<String>,
    floors: bool,
}

fn options() -> Options {
    let mut o = Options {
        paranoia: 1,
        misses: false,
        fps: false,
        only: None,
        floors: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--paranoia" => {
                o.paranoia = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .expect("--paranoia N")
            }
            "--misses" => o.misses = true,
            "--fps" => o.fps = true,
            "--only" => o.only = args.next(),
            "--no-floors" => o.floors = false,
            "--rules" => {
                // The rule catalogue as a Markdown table (for docs/detect.md).
                println!("| rule | paranoia | score | detects |\n|---|---:|---:|---|");
                for r in parapet_detect::rules() {
                    println!(
                        "| `{}` | {} | {} | {} |",
                        r.id,
                        r.paranoia,
                        r.severity.score(),
                        r.description
                    );
                }
                std::process::exit(0);
            }
            _ => {} // what the test runner passes (--nocapture, filters…)
        }
    }
    o
}

#[derive(Default)]
struct Tally {
    attacks: usize,
    detected: usize,
    benign: usize,
    flagged: usize,
}

impl Tally {
    fn detection(&self) -> f64 {
        percent(self.detected, self.attacks)
    }
    fn false_positives(&self) -> f64 {
        percent(self.flagged, self.benign)
    }
}

fn percent(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

fn main() -> ExitCode {
    let o = options();
    let engine = Engine::new(Settings {
        paranoia: o.paranoia,
        ..Settings::default()
    })
    .unwrap();
    let cases = load::all();
    let mut groups: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let mut sets: BTreeMap<String, Tally> = BTreeMap::new();
    for case in &cases {
        if o.only.as_ref().is_some_and(|only| {
            !case.group.contains(only.as_str()) && !case.id.contains(only.as_str())
        }) {
            continue;
        }
        let verdict = run(&engine, case);
        let group = groups
            .entry((case.set.to_owned(), case.group.clone()))
            .or_default();
        let set = sets.entry(case.set.to_owned()).or_default();
        for t in [group, set] {
            match case.label {
                Label::Attack => {
                    t.attacks += 1;
                    t.detected += usize::from(verdict.attack);
                }
                Label::Benign => {
                    t.benign += 1;
                    t.flagged += usize::from(verdict.attack);
                }
            }
        }
        match case.label {
            Label::Attack if !verdict.attack && o.misses => {
                println!("MISS {} [{}] {}", case.id, verdict.score, case.summary());
            }
            Label::Benign if verdict.attack && o.fps => {
                let hits: Vec<String> = verdict
                    .hits
                    .iter()
                    .map(|h| format!("{}@{} {:?}", h.rule.id, h.location, h.snippet))
                    .collect();
                println!(
                    "FP   {} {} :: {}",
                    case.id,
                    case.summary(),
                    hits.join(" | ")
                );
            }
            _ => {}
        }
    }
    println!(
        "\nparanoia {}\n{:<14} {:<44} {:>7} {:>7} {:>7} {:>7}",
        o.paranoia, "set", "group", "attacks", "TPR%", "benign", "FPR%"
    );
    for ((set, group), t) in &groups {
        println!(
            "{set:<14} {group:<44} {:>7} {:>7.1} {:>7} {:>7.2}",
            t.attacks,
            t.detection(),
            t.benign,
            t.false_positives()
        );
    }
    println!();
    let mut corpus = Tally::default();
    for (_, t) in sets
        .iter()
        .filter(|(set, _)| !matches!(set.as_str(), "benign-code" | "fields" | "fields-ops"))
    {
        corpus.attacks += t.attacks;
        corpus.detected += t.detected;
        corpus.benign += t.benign;
        corpus.flagged += t.flagged;
    }
    sets.insert(CORPUS.to_owned(), corpus);
    for (set, t) in &sets {
        println!(
            "{set:<14} {:<44} {:>7} {:>7.1} {:>7} {:>7.2}",
            "ALL",
            t.attacks,
            t.detection(),
            t.benign,
            t.false_positives()
        );
    }
    let mut ok = true;
    if o.floors && o.paranoia == 1 && o.only.is_none() {
        for (set, min_tpr, max_fpr) in FLOORS {
            let t = &sets[*set];
            if t.attacks > 0 && t.detection() < *min_tpr {
                println!(
                    "FLOOR: {set} detects {:.2}% of attacks, the floor is {min_tpr}%",
                    t.detection()
                );
                ok = false;
            }
            if t.benign > 0 && t.false_positives() > *max_fpr {
                println!(
                    "FLOOR: {set} flags {:.2}% of benign inputs, the ceiling is {max_fpr}%",
                    t.false_positives()
                );
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run(engine: &Engine, case: &Case) -> Verdict {
    let mut scan = engine.scan();
    scan.method(&case.method);
    let (path, query) = case.uri.split_once('?').unwrap_or((&case.uri, ""));
    scan.path(path);
    if !query.is_empty() {
        scan.query(query);
    }
    let mut content_type = None;
    for (name, value) in &case.headers {
        if name.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.as_str());
        }
        scan.header(name, value.as_bytes());
    }
    scan.body(content_type, &case.body);
    scan.finish()
}
