//! The `burn-losses` binary: every reference fixture through `eval` on stdin/stdout, and exit
//! code 2 with a one-line message for every kind of bad request.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common;

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

/// `actual` within `rtol`/`atol` of `expected`, same shape (the fixture test's comparison).
fn assert_within(actual: &Value, expected: &Value, rtol: f64, atol: f64, what: &str) {
    let ratio = common::worst_ratio(actual, expected, rtol, atol).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        ratio <= 1.0,
        "{what}: off by {ratio:.2}x tolerance: got {actual} expected {expected}"
    );
}

/// The device the CLI tests use: the first test device (the CI lane's `BURN_LOSSES_DEVICES`).
fn lane_device() -> &'static str {
    common::test_devices()[0].0
}

/// Every fixture file's cases as one `eval --lines` run (one process per file), each response
/// line against its case.
#[test]
fn eval_reproduces_every_reference_fixture() {
    let device = lane_device();
    let mut checked = 0;
    for (file, fixture) in common::load_fixtures() {
        let cases = fixture["cases"].as_array().unwrap();
        let requests: String = cases
            .iter()
            .map(|case| format!("{}\n", case["request"]))
            .collect();
        let (code, stdout, stderr) = run(&["eval", "--lines", "--device", device], &requests);
        assert_eq!(code, 0, "{file}: {stderr}");
        let responses: Vec<&str> = stdout.lines().collect();
        assert_eq!(
            responses.len(),
            cases.len(),
            "{file}: one response line per request"
        );
        for (case, response) in cases.iter().zip(responses) {
            let name = format!("{file}/{}", case["name"].as_str().unwrap());
            let got: Value = serde_json::from_str(response).unwrap();
            let tol = &case["tolerance"];
            let (rtol, atol) = (tol["rtol"].as_f64().unwrap(), tol["atol"].as_f64().unwrap());
            let (grtol, gatol) = (
                tol["grad_rtol"].as_f64().unwrap(),
                tol["grad_atol"].as_f64().unwrap(),
            );
            assert_within(&got["loss"], &case["expected"]["loss"], rtol, atol, &name);
            for (input, expected) in case["expected"]["grad"].as_object().unwrap() {
                assert_within(
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

/// A single request (no `--lines`) reads all of stdin, which may span lines; `--lines` stops at
/// the first bad line, naming it, after printing the responses before it.
#[test]
fn eval_single_request_and_lines() {
    let request = r#"{"loss": {"type": "mse"},
        "inputs": {"input": [1.0, 2.0], "target": [0.0, 0.0]}}"#;
    let (code, stdout, stderr) = run(&["eval", "--device", lane_device()], request);
    assert_eq!(code, 0, "{stderr}");
    let got: Value = serde_json::from_str(&stdout).unwrap();
    assert!((got["loss"].as_f64().unwrap() - 2.5).abs() < 1e-6, "{got}");

    let good = r#"{"loss": {"type": "mae"}, "inputs": {"input": [1.0, -3.0], "target": [0.0, 0.0]}}"#;
    let bad = r#"{"loss": {"type": "mae", "delta": 1}, "inputs": {}}"#;
    let (code, stdout, stderr) = run(
        &["eval", "--lines", "--device", lane_device()],
        &format!("{good}\n\n{good}\n{bad}\n{good}\n"),
    );
    assert_eq!(code, 2);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.lines().all(|l| l.contains("\"loss\":2.0")), "{stdout}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("line 4: ") && stderr.contains("delta"),
        "{stderr}"
    );
}

#[test]
fn output_shape_follows_the_reduction() {
    let req = r#"{"loss": {"type": "binary_focal", "reduction": "none"}, "inputs": {"input": [[0.5, -1.0, 2.0]], "target": [[1, 0, 1]]}}"#;
    let (code, stdout, stderr) = run(&["eval", "--device", lane_device()], req);
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
            r#"{"loss": {"type": "dyce"}, "inputs": {}}"#,
            "loss name: expected one of [\"binary_focal\", ",
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
        (vec!["frobnicate"], "", "unrecognized subcommand 'frobnicate'"),
        (
            vec![],
            "",
            "missing command: expected `eval`, `list`, `describe`, `plot` or `completions`",
        ),
        (
            vec!["eval", "--devise", "flex"],
            "",
            "unexpected argument '--devise'",
        ),
        (
            vec!["eval", "--device"],
            "",
            "a value is required for '--device <NAME>'",
        ),
        (vec!["list", "--jsn"], "", "unexpected argument '--jsn'"),
        (vec!["completions", "tcsh"], "", "invalid value 'tcsh'"),
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
fn list_prints_every_loss_with_its_defaults() {
    let (code, stdout, _) = run(&["list"], "");
    assert_eq!(code, 0);
    // a line per loss (name, summary), then indented lines of its anchor and its fields
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3 * burn_losses::LossConfig::NAMES.len(), "{stdout}");
    let names: Vec<&str> = lines
        .iter()
        .step_by(3)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, burn_losses::LossConfig::NAMES);
    assert!(
        lines.iter().step_by(3).all(|l| l.split_whitespace().count() > 2),
        "every loss has a summary: {stdout}"
    );
    assert!(
        lines
            .iter()
            .skip(1)
            .step_by(3)
            .all(|l| l.trim_start().starts_with("anchor: "))
    );
    assert!(
        lines
            .iter()
            .skip(2)
            .step_by(3)
            .all(|l| l.trim_start().starts_with("fields: "))
    );
    let focal = lines.iter().position(|l| l.starts_with("focal ")).unwrap();
    assert!(
        lines[focal + 1].contains("kornia focal_loss"),
        "{}",
        lines[focal + 1]
    );
    assert!(lines[focal + 2].contains("gamma=2.0"), "{}", lines[focal + 2]);

    let (code, stdout, stderr) = run(&["list", "--json"], "");
    assert_eq!(code, 0, "{stderr}");
    let entries: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, burn_losses::LossConfig::NAMES);
    for entry in &entries {
        // the defaults are a valid config of that loss, as the registry builds it
        let mut config = entry["defaults"].as_object().unwrap().clone();
        config.insert("type".into(), entry["name"].clone());
        let parsed = burn_losses::LossConfig::parse(&Value::Object(config).to_string()).unwrap();
        assert_eq!(
            parsed,
            burn_losses::LossConfig::from_name(entry["name"].as_str().unwrap()).unwrap()
        );
        assert!(!entry["summary"].as_str().unwrap().is_empty());
        assert!(!entry["anchor"].as_str().unwrap().is_empty());
    }
    let focal = entries.iter().find(|e| e["name"] == "focal").unwrap();
    assert_eq!(focal["defaults"]["gamma"], 2.0);
    assert_eq!(focal["defaults"]["reduction"], "mean");
}

#[test]
fn help_and_completions() {
    let (code, stdout, _) = run(&["--help"], "");
    assert_eq!(code, 0);
    for command in ["eval", "list", "describe", "plot", "completions"] {
        assert!(stdout.contains(command), "--help lists `{command}`: {stdout}");
    }
    for (args, flag) in [
        (["eval", "--help"], "--device <NAME>"),
        (["list", "--help"], "--json"),
        (["plot", "--help"], "--preset <PRESET>"),
        (["describe", "--help"], "<NAME>"),
    ] {
        let (code, stdout, _) = run(&args, "");
        assert_eq!(code, 0);
        assert!(stdout.contains(flag), "{args:?}: {stdout}");
    }
    let (code, stdout, _) = run(&["--version"], "");
    assert_eq!(
        (code, stdout.trim()),
        (0, concat!("burn-losses ", env!("CARGO_PKG_VERSION")))
    );
    for shell in ["bash", "zsh", "fish"] {
        let (code, stdout, stderr) = run(&["completions", shell], "");
        assert_eq!(code, 0, "{shell}: {stderr}");
        assert!(
            stdout.contains("burn-losses") && stdout.contains("completions"),
            "{shell}: {stdout}"
        );
    }
}

#[test]
fn describe_prints_the_formula_fields_and_anchor() {
    let (code, stdout, stderr) = run(&["describe", "huber"], "");
    assert_eq!(code, 0, "{stderr}");
    for part in [
        "huber: Huber loss with threshold delta",
        "anchor: PyTorch huber_loss, Keras Huber",
        "ℓ = ½·d²            if |d| ≤ δ",
        "  delta = 1.0\n      Threshold `δ > 0`",
        "  reduction = \"mean\"",
        "arguments (the named inputs `eval` takes):\n  input: float\n  target: float\n  weight: float, optional\n",
    ] {
        assert!(stdout.contains(part), "missing {part:?} in\n{stdout}");
    }
    for name in burn_losses::LossConfig::NAMES {
        let (code, stdout, stderr) = run(&["describe", name], "");
        assert_eq!(code, 0, "{name}: {stderr}");
        assert!(stdout.contains("fields (JSON defaults):"), "{name}: {stdout}");
    }
    let (code, _, stderr) = run(&["describe", "hubber"], "");
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("burn-losses: loss_config: loss name: expected one of [")
            && stderr.ends_with("got \"hubber\"\n"),
        "{stderr}"
    );
}

#[test]
fn plot_writes_png_and_svg_of_presets_and_configs() {
    let dir = std::env::temp_dir().join(format!("burn-losses-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let device = lane_device();
    for (args, file) in [
        (vec!["--preset", "focal"], "focal.png"),
        (vec!["--preset", "margin", "--grad"], "margin_grad.svg"),
        (
            vec![
                "--loss",
                r#"{"type": "huber", "delta": 0.5}"#,
                "--loss",
                "mse",
                "--set",
                "target=0.5",
                "--from",
                "-1",
                "--to",
                "2",
                "--points",
                "21",
            ],
            "custom.png",
        ),
        (
            vec![
                "--loss",
                "focal",
                "--vary",
                "input",
                "--set",
                "target=[0]",
                "--points",
                "5",
            ],
            "bad_shape.png",
        ),
    ] {
        let out = dir.join(file);
        let out_s = out.to_str().unwrap();
        let mut full = vec!["plot", "--device", device, "--out", out_s];
        full.extend(args.iter().copied());
        let (code, stdout, stderr) = run(&full, "");
        if file == "bad_shape.png" {
            // focal takes logits [N, C]: a one-element input is an error naming it, not a panic
            assert_eq!(code, 2, "{stdout}");
            assert!(
                stderr.contains("focal: argument `input`: expected shape [N, C]"),
                "{stderr}"
            );
            continue;
        }
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert_eq!(stdout, format!("wrote {out_s}\n"));
        let bytes = std::fs::read(&out).unwrap();
        if file.ends_with(".png") {
            assert_eq!(&bytes[1..4], b"PNG", "{file}");
        } else {
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.contains("<svg") && text.contains("squared_hinge"), "{file}");
        }
    }
    for (args, message) in [
        (
            vec!["plot", "--points", "1", "--preset", "huber"],
            "--points: expected at least 2, got 1",
        ),
        (
            vec!["plot", "--out", "x.gif", "--preset", "huber"],
            "--out: expected a .png or .svg file name, got \"x.gif\"",
        ),
        (
            vec!["plot"],
            "--loss: expected at least one loss config, or a --preset",
        ),
        (
            vec!["plot", "--loss", "mse", "--set", "target"],
            "--set: expected NAME=VALUE, got \"target\"",
        ),
        (
            vec!["plot", "--preset", "nope"],
            "invalid value 'nope' for '--preset <PRESET>'",
        ),
    ] {
        let (code, _, stderr) = run(&args, "");
        assert_eq!(code, 2, "{args:?}");
        assert!(
            stderr.contains(message) && stderr.lines().count() == 1,
            "{args:?}: {stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A program that registers its own loss and runs the command (`burn_losses_cli::run`) gets
/// `describe` and `plot` for it.
#[test]
fn a_user_binary_gets_the_commands_for_its_registered_losses() {
    burn_losses::custom::register_fn(
        "cli_test_abs",
        "absolute error",
        |x: burn::tensor::Tensor<2>, y: burn::tensor::Tensor<2>| (x - y).abs(),
    );
    let code = |args: &[&str]| burn_losses_cli::run(args.iter().copied());
    assert_eq!(
        code(&["burn-losses", "describe", "cli_test_abs"]),
        std::process::ExitCode::SUCCESS
    );
    let out = std::env::temp_dir().join(format!("burn-losses-custom-{}.svg", std::process::id()));
    let out_s = out.to_str().unwrap();
    assert_eq!(
        code(&[
            "burn-losses",
            "plot",
            "--device",
            lane_device(),
            "--loss",
            "cli_test_abs",
            "--points",
            "11",
            "--out",
            out_s
        ]),
        std::process::ExitCode::SUCCESS
    );
    assert!(std::fs::read_to_string(&out).unwrap().contains("cli_test_abs"));
    std::fs::remove_file(&out).unwrap();
}
