//! `burn-losses`: evaluate any loss config on JSON tensors, on any compiled-in burn backend.
//!
//! ```text
//! echo '{"loss": {"type": "focal", "gamma": 2}, "inputs": {"input": [[1.0, -1.0]], "target": [0]}, "grad": true}' \
//!   | burn-losses eval --device flex
//! {"loss":0.0024...,"grad":{"input":[[-0.0082...,0.0082...]]}}
//! burn-losses list [--json]          # every loss: summary, anchor, fields with their defaults
//! burn-losses describe focal         # one loss's doc: formula, fields, defaults, anchor
//! burn-losses plot --preset focal --out focal.png   # loss curves (PNG / SVG), --grad for gradients
//! burn-losses completions bash       # shell completion script
//! ```
//!
//! Arguments are parsed with `clap` (`--help` on every subcommand). Exit code 2 with a one-line
//! error on stderr for a bad argument, bad JSON, an unknown loss, bad options or wrong shapes.
//!
//! The command is this library's [`run`]: a program that registers its own losses
//! ([`burn_losses::custom`]) and then calls `burn_losses_cli::run(std::env::args_os())` gets
//! `eval`, `list`, `describe` and `plot` for them too.

use std::io::{Read, Write};
use std::process::ExitCode;

use burn_losses::LossConfig;
use burn_losses::device::{enabled_names, parse_device};
use burn_losses::eval::{EvalRequest, eval_request};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};
use serde_json::Value;

mod plot;

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
        /// JSON Lines: one request per stdin line, one response line each, in order (one
        /// process and device start-up for many requests). The first bad line stops with
        /// exit code 2 and a message naming its line number.
        #[arg(long)]
        lines: bool,
    },
    /// Print every loss accepted in "type": its one-line summary, the reference it matches and
    /// its fields with their defaults (from the loss registry, user-registered losses included).
    List {
        /// One JSON array of {"name", "summary", "anchor", "defaults"} instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Print one loss's documentation: its formula and notes (the doc comment of its Rust type),
    /// the reference it matches, and each field with its default and meaning.
    Describe {
        /// The loss name (as in "type"; see `burn-losses list`).
        name: String,
    },
    /// Draw loss (or gradient) curves as PNG or SVG, computed by the library on the chosen
    /// device: a preset figure, or any loss configs over one varying one-element argument.
    Plot(plot::PlotArgs),
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

/// One loss of `list`: name, summary, anchor and default fields (the `"type"` field removed).
struct Listed {
    name: &'static str,
    summary: &'static str,
    anchor: &'static str,
    defaults: serde_json::Map<String, Value>,
}

/// Every built-in loss (registry order), then every user-registered one.
fn registry() -> Vec<Listed> {
    let builtin = LossConfig::catalogue().iter().map(|e| Listed {
        name: e.name,
        summary: e.summary,
        anchor: e.anchor,
        defaults: burn_losses::docs::defaults(e.name).expect("every registered name has a default"),
    });
    let custom = burn_losses::custom::registered()
        .into_iter()
        .map(|(name, summary, defaults)| Listed {
            name,
            summary,
            anchor: "user-defined",
            defaults,
        });
    builtin.chain(custom).collect()
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
            .map(|e| {
                serde_json::json!({"name": e.name, "summary": e.summary, "anchor": e.anchor, "defaults": e.defaults})
            })
            .collect();
        return print_out(&format!("{}\n", Value::Array(array)));
    }
    let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
    let mut text = String::new();
    for e in entries {
        let fields: Vec<String> = e.defaults.iter().map(|(k, v)| format!("{k}={v}")).collect();
        text += &format!(
            "{:<width$}  {}\n{:<width$}  anchor: {}\n{:<width$}  fields: {}\n",
            e.name,
            e.summary,
            "",
            e.anchor,
            "",
            fields.join(", ")
        );
    }
    print_out(&text)
}

fn describe(name: &str) -> ExitCode {
    if let Some(entry) = burn_losses::docs::entry(name) {
        let doc = burn_losses::docs::describe(name).expect("every built-in loss is documented");
        let mut text = format!(
            "{name}: {}\nanchor: {}\nRust: burn_losses::{} (config burn_losses::{})\n\n{}\n\nfields (JSON defaults):\n",
            entry.summary, entry.anchor, entry.loss_type, entry.config_type, doc.doc
        );
        for (field, default, field_doc) in doc.fields {
            text += &format!("  {field} = {default}\n");
            for line in field_doc.lines() {
                text += &format!("      {line}\n");
            }
        }
        text += "\narguments (the named inputs `eval` takes):\n";
        for argument in doc.arguments {
            let optional = if argument.required { "" } else { ", optional" };
            text += &format!("  {}: {}{optional}\n", argument.name, argument.kind);
        }
        return print_out(&text);
    }
    match burn_losses::custom::registered()
        .into_iter()
        .find(|e| e.0 == name)
    {
        Some((name, summary, defaults)) => {
            let fields: Vec<String> = defaults.iter().map(|(k, v)| format!("  {k} = {v}\n")).collect();
            print_out(&format!(
                "{name}: {summary}\nanchor: user-defined\n\nfields (JSON defaults):\n  reduction = \"mean\"\n{}",
                fields.concat()
            ))
        }
        None => fail(
            burn_losses::LossConfig::from_name(name)
                .err()
                .map_or_else(|| format!("no documentation for `{name}`"), |e| e.to_string()),
        ),
    }
}

/// One `eval` request (JSON text) on `device`: the response line, or the one-line error message
/// `eval` prints (with exit code 2).
pub fn respond(request: &str, device: &burn::tensor::Device) -> Result<String, String> {
    let request: EvalRequest = serde_json::from_str(request).map_err(|e| format!("bad request JSON: {e}"))?;
    let response = eval_request(&request, device).map_err(|e| e.to_string())?;
    Ok(format!(
        "{}\n",
        serde_json::to_string(&response).expect("serialisable")
    ))
}

fn eval(device: Option<String>, lines: bool) -> ExitCode {
    let name = device.unwrap_or_else(|| enabled_names().first().copied().unwrap_or("flex").to_string());
    let device = match parse_device(&name) {
        Ok(d) => d,
        Err(e) => return fail(format!("--device: {e}")),
    };
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        return fail(format!("cannot read stdin: {e}"));
    }
    let respond = |request: &str| respond(request, &device);
    if !lines {
        return match respond(&text) {
            Ok(out) => print_out(&out),
            Err(e) => fail(e),
        };
    }
    let mut out = String::new();
    for (number, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        match respond(line) {
            Ok(response) => out.push_str(&response),
            Err(e) => {
                let _ = print_out(&out);
                return fail(format!("line {}: {e}", number + 1));
            }
        }
    }
    print_out(&out)
}

/// Runs the `burn-losses` command on `args` (the program name first, as `std::env::args_os()`):
/// what the binary's `main` does. A program that registers its own losses first gets every
/// subcommand for them too. Returns the exit code (2 with a one-line message on stderr for any
/// error).
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help / --version: clap's own text on stdout, exit 0
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            return fail(
                "missing command: expected `eval`, `list`, `describe`, `plot` or `completions` (see `burn-losses --help`)",
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
        Command::Eval { device, lines } => eval(device, lines),
        Command::List { json } => list(json),
        Command::Describe { name } => describe(&name),
        Command::Plot(args) => match plot::plot(&args) {
            Ok(path) => print_out(&format!("wrote {path}\n")),
            Err(e) => fail(e),
        },
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "burn-losses", &mut script);
            print_out(&String::from_utf8_lossy(&script))
        }
    }
}
