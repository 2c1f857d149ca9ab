//! `burn-losses`: evaluate any loss config on JSON tensors, on any compiled-in burn backend.
//!
//! ```text
//! echo '{"loss": {"type": "focal", "gamma": 2}, "inputs": {"input": [[1.0, -1.0]], "target": [0]}, "grad": true}' \
//!   | burn-losses eval --device flex
//! {"loss":0.0024...,"grad":{"input":[[-0.0082...,0.0082...]]}}
//! ```
//!
//! Exit code 2 with a one-line error on stderr for bad JSON, an unknown loss, bad options or
//! wrong shapes.

use std::io::Read;
use std::process::ExitCode;

use burn_losses::LossConfig;
use burn_losses::device::{BACKENDS, enabled_names, parse_device};
use burn_losses::eval::{EvalRequest, eval_request};

const USAGE: &str = "usage: burn-losses eval [--device NAME] < request.json
       burn-losses list

eval   reads {\"loss\": <LossConfig>, \"inputs\": {<name>: nested array, ...}, \"grad\": bool}
       from stdin and prints {\"loss\": number | nested array, \"grad\": {<name>: nested array}}.
list   prints the loss names accepted in \"type\", each with a one-line summary.
--device  flex | ndarray | wgpu | vulkan | tch | cuda (default: flex, or the first compiled in)";

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("burn-losses: {}", message.to_string().replace('\n', " "));
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut device_name: Option<String> = None;
    let mut command: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--device" => {
                i += 1;
                match args.get(i) {
                    Some(d) => device_name = Some(d.clone()),
                    None => return fail(format!("--device needs a value: one of {}", BACKENDS.join(", "))),
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other if command.is_none() && !other.starts_with('-') => command = Some(other.to_string()),
            other => return fail(format!("unexpected argument `{other}`\n{USAGE}")),
        }
        i += 1;
    }
    match command.as_deref() {
        Some("list") => {
            let width = LossConfig::NAMES.iter().map(|n| n.len()).max().unwrap_or(0);
            for (name, summary) in LossConfig::list() {
                println!("{name:<width$}  {summary}");
            }
            ExitCode::SUCCESS
        }
        Some("eval") => {
            let name =
                device_name.unwrap_or_else(|| enabled_names().first().copied().unwrap_or("flex").to_string());
            let device = match parse_device(&name) {
                Ok(d) => d,
                Err(e) => return fail(e),
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
                Ok(response) => {
                    println!("{}", serde_json::to_string(&response).expect("serialisable"));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Some(other) => fail(format!("unknown command `{other}`: expected `eval` or `list`")),
        None => fail(format!("missing command\n{USAGE}")),
    }
}
