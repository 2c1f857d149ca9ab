//! `burn-losses`: evaluate any loss config on JSON tensors, on any compiled-in burn backend.
//!
//! ```text
//! echo '{"loss": {"type": "focal", "gamma": 2}, "inputs": {"input": [[1.0, -1.0]], "target": [0]}, "grad": true}' \
//!   | burn-losses eval --device flex
//! {"loss":0.0024...,"grad":{"input":[[-0.0082...,0.0082...]]}}
//! burn-losses list [--json]          # every loss, its summary and its fields with their defaults
//! burn-losses completions bash       # shell completion script
//! ```
//!
//! Arguments are parsed with `clap` (`--help` on every subcommand). Exit code 2 with a one-line
//! error on stderr for a bad argument, bad JSON, an unknown loss, bad options or wrong shapes.

use std::io::{Read, Write};
use std::process::ExitCode;

use burn_losses::LossConfig;
use burn_losses::device::{enabled_names, parse_device};
use burn_losses::eval::{EvalRequest, eval_request};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};
use serde_json::Value;

#[derive(Parser, Debug)]
#[command(
    name = "burn-losses",
    version,
    about = "Evaluate the burn-losses loss functions on JSON tensors, and list them"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read {"loss": <LossConfig>, "inputs": {<name>: nested array, ...}, "grad": bool} from
    /// stdin; print {"loss": number | nested array, "grad": {<name>: nested array}}.
    Eval {
        /// Backend to run on: flex | ndarray | wgpu | vulkan | tch | cuda (default: the first
        /// compiled in).
        #[arg(long, value_name = "NAME")]
        device: Option<String>,
    },
    /// Print every loss accepted in "type": its one-line summary and its fields with their
    /// defaults (from the loss registry).
    List {
        /// One JSON array of {"name", "summary", "defaults"} instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script to stdout (e.g. `burn-losses completions bash >
    /// /etc/bash_completion.d/burn-losses`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("burn-losses: {}", message.to_string().replace('\n', " "));
    ExitCode::from(2)
}

/// Every loss with its summary and its default configuration (the `"type"` field removed).
fn registry() -> Vec<(&'static str, &'static str, serde_json::Map<String, Value>)> {
    LossConfig::list()
        .iter()
        .map(|&(name, summary)| {
            let config = LossConfig::from_name(name).expect("every registered name has a default");
            let mut defaults = match serde_json::to_value(config).expect("configs serialise") {
                Value::Object(fields) => fields,
                other => unreachable!("a config serialises to an object, got {other}"),
            };
            defaults.remove("type");
            (name, summary, defaults)
        })
        .collect()
}

/// Writes `text` to stdout; a closed pipe (`burn-losses list | head`) ends the output quietly.
fn print_out(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => fail(format!("cannot write stdout: {e}")),
        _ => ExitCode::SUCCESS,
    }
}

fn list(json: bool) -> ExitCode {
    let entries = registry();
    if json {
        let array: Vec<Value> = entries
            .into_iter()
            .map(|(name, summary, defaults)| {
                serde_json::json!({"name": name, "summary": summary, "defaults": defaults})
            })
            .collect();
        return print_out(&format!("{}\n", Value::Array(array)));
    }
    let width = entries.iter().map(|e| e.0.len()).max().unwrap_or(0);
    let mut text = String::new();
    for (name, summary, defaults) in entries {
        let fields: Vec<String> = defaults.iter().map(|(k, v)| format!("{k}={v}")).collect();
        text += &format!(
            "{name:<width$}  {summary}\n{:<width$}  fields: {}\n",
            "",
            fields.join(", ")
        );
    }
    print_out(&text)
}

fn eval(device: Option<String>) -> ExitCode {
    let name = device.unwrap_or_else(|| enabled_names().first().copied().unwrap_or("flex").to_string());
    let device = match parse_device(&name) {
        Ok(d) => d,
        Err(e) => return fail(format!("--device: {e}")),
    };
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        return fail(format!("cannot read stdin: {e}"));
    }
    let request: EvalRequest = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => return fail(format!("bad request JSON: {e}")),
    };
    match eval_request(&request, &device) {
        Ok(response) => print_out(&format!(
            "{}\n",
            serde_json::to_string(&response).expect("serialisable")
        )),
        Err(e) => fail(e),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help / --version: clap's own text on stdout, exit 0
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            return fail(
                "missing command: expected `eval`, `list` or `completions` (see `burn-losses --help`)",
            );
        }
        Err(e) => {
            // clap's message names the argument; keep its first line (the rest is usage)
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("bad arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            return fail(format!("{first} (see `burn-losses --help`)"));
        }
    };
    match cli.command {
        Command::Eval { device } => eval(device),
        Command::List { json } => list(json),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "burn-losses", &mut script);
            print_out(&String::from_utf8_lossy(&script))
        }
    }
}
