//! The `burn-losses` binary: every reference fixture through `eval` on stdin/stdout, and exit
//! code 2 with a one-line message for every kind of bad request.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_burn-losses"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn burn-losses");
    // The binary may exit before reading stdin (e.g. unknown device): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn numbers(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| numbers(x, out)),
        Value::Number(n) => out.push(n.as_f64().unwrap()),
        other => panic!("not a number: {other}"),
    }
}

fn assert_close(actual: &Value, expected: &Value, rtol: f64, atol: f64, what: &str) {
    let (mut a, mut e) = (Vec::new(), Vec::new());
    numbers(actual, &mut a);
    numbers(expected, &mut e);
    assert_eq!(a.len(), e.len(), "{what}: length");
    for (x, y) in a.iter().zip(&e) {
        assert!((x - y).abs() <= atol + rtol * y.abs(), "{what}: {x} vs {y}");
    }
}

/// The device the CLI tests use: the first of `BURN_LOSSES_DEVICES` (the CI lane), else flex.
fn lane_device() -> String {
    std::env::var("BURN_LOSSES_DEVICES")
        .ok()
        .and_then(|d| d.split(',').next().map(|s| s.trim().to_string()))
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "flex".to_string())
}

#[test]
fn eval_reproduces_every_reference_fixture() {
    let device = lane_device();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        for case in fixture["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let (code, stdout, stderr) = run(&["eval", "--device", &device], &case["request"].to_string());
            assert_eq!(code, 0, "{name}: {stderr}");
            let got: Value = serde_json::from_str(&stdout).unwrap();
            let tol = &case["tolerance"];
            let (rtol, atol) = (tol["rtol"].as_f64().unwrap(), tol["atol"].as_f64().unwrap());
            assert_close(&got["loss"], &case["expected"]["loss"], rtol, atol, name);
            for (input, expected) in case["expected"]["grad"].as_object().unwrap() {
                let (grtol, gatol) = (
                    tol["grad_rtol"].as_f64().unwrap(),
                    tol["grad_atol"].as_f64().unwrap(),
                );
                assert_close(
                    &got["grad"][input],
                    expected,
                    grtol,
                    gatol,
                    &format!("{name} d/d{input}"),
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[test]
fn output_shape_follows_the_reduction() {
    let req = r#"{"loss": {"type": "binary_focal", "reduction": "none"}, "inputs": {"input": [[0.5, -1.0, 2.0]], "target": [[1, 0, 1]]}}"#;
    let (code, stdout, stderr) = run(&["eval", "--device", &lane_device()], req);
    assert_eq!(code, 0, "{stderr}");
    let got: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(got["loss"].as_array().unwrap()[0].as_array().unwrap().len(), 3);
    assert!(got.get("grad").is_none(), "no grad unless asked");
}

#[test]
fn bad_requests_exit_2_with_one_line() {
    let cases = [
        (vec!["eval"], "{not json", "bad request JSON"),
        (
            vec!["eval"],
            r#"{"loss": {"type": "dice"}, "inputs": {}}"#,
            "unknown variant `dice`",
        ),
        (
            vec!["eval"],
            r#"{"loss": {"type": "focal", "gamma": -1}, "inputs": {}}"#,
            "config field `gamma`",
        ),
        (
            vec!["eval"],
            r#"{"loss": {"type": "focal"}, "inputs": {"input": [[1.0, 2.0], [0.0, 1.0]], "target": [0, 1, 1]}}"#,
            "focal: argument `target`: expected class indices of shape [2]",
        ),
        (
            vec!["eval"],
            r#"{"loss": {"type": "focal"}, "inputs": {"input": [[1.0, 2.0], [0.0]], "target": [0, 1]}}"#,
            "input `input`: expected a rectangular nested array",
        ),
        (
            vec!["eval", "--device", "cuda"],
            r#"{}"#,
            "not compiled in: rebuild with `--features cuda`",
        ),
        (vec!["eval", "--device", "tpu"], r#"{}"#, "unknown device `tpu`"),
        (vec!["frobnicate"], "", "unknown command"),
    ];
    for (args, stdin, needle) in cases {
        if args.contains(&"cuda") && cfg!(feature = "cuda") {
            continue;
        }
        let (code, stdout, stderr) = run(&args, stdin);
        assert_eq!(code, 2, "{args:?} {stdin}: stdout {stdout} stderr {stderr}");
        assert!(stderr.contains(needle), "{args:?}: `{stderr}` lacks `{needle}`");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    }
}

#[test]
fn list_prints_every_loss() {
    let (code, stdout, _) = run(&["list"], "");
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().collect::<Vec<_>>(), ["binary_focal", "focal"]);
}
