//! `hallbox demo --no-serve`: the month replayed through the serial
//! sessions, checked from the binary's output and the journal it leaves.

mod support;

/// Returns the number after `label` in `text`, such as 12 in "duplicate 12".
fn number_after(text: &str, label: &str) -> u64 {
    let start = text
        .find(label)
        .unwrap_or_else(|| panic!("'{label}' in the output:\n{text}"))
        + label.len();
    let digits: String = text[start..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("a number after '{label}' in:\n{text}"))
}

#[test]
fn demo_replays_month_live() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().to_str().unwrap();
    let output = support::run(&["demo", "--no-serve", "--dir", folder]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // The clock's own export contains the punches the clock line already
    // stored, plus two lines no box accepts: the year-2000 line and the
    // garbled line the generator appends.
    let clock_punches = number_after(&stdout, "punches:");
    assert!(
        stdout.contains(&format!("{clock_punches} clock_line")),
        "{stdout}"
    );
    assert_eq!(number_after(&stdout, "imported"), 0);
    assert_eq!(number_after(&stdout, "duplicate"), clock_punches);
    assert_eq!(number_after(&stdout, "rejected"), 2);
    assert!(stdout.contains(" fingerprint"), "{stdout}");

    // Every window of the example has its keypad's ratings.
    for window in ["W01 1号窗口:", "W02 2号窗口:", "W03 3号窗口:"] {
        assert!(stdout.contains(window), "{window} missing:\n{stdout}");
    }
    assert!(stdout.contains("misclick:"), "{stdout}");

    // The journal the demo left verifies, and the report covers the staff
    // member who punched on the fingerprint module on all 21 working days.
    let config = dir.path().join("hallbox.toml");
    let config = config.to_str().unwrap();
    let verify = support::run(&["verify", "--config", config]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let report = support::run(&[
        "report", "--config", config, "--month", "2026-11", "--format", "csv",
    ]);
    let csv = String::from_utf8_lossy(&report.stdout);
    let row = csv
        .lines()
        .find(|line| line.starts_with("S001,"))
        .unwrap_or_else(|| panic!("S001 in the report:\n{csv}"));
    let columns: Vec<&str> = row.split(',').collect();
    assert_eq!(columns[3], "21", "working days judged for S001: {row}");
}
