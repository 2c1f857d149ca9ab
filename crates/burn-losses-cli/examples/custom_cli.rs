//! A `burn-losses` command with a user-defined loss: register it, then run the command. Every
//! subcommand (`eval`, `list`, `describe`, `plot`) knows it.
//!
//! ```text
//! cargo run -p burn-losses-cli --example custom_cli -- describe my_abs
//! echo '{"loss": {"type": "my_abs"}, "inputs": {"input": [1.0, -2.0], "target": [0.0, 0.0]}, "grad": true}' \
//!   | cargo run -p burn-losses-cli --example custom_cli -- eval
//! cargo run -p burn-losses-cli --example custom_cli -- plot --loss my_abs --set target=0 --out my_abs.png
//! ```

use burn::tensor::Tensor;

fn main() -> std::process::ExitCode {
    burn_losses::custom::register_fn(
        "my_abs",
        "absolute error (a user-defined loss)",
        |x: Tensor<2>, y: Tensor<2>| (x - y).abs(),
    );
    burn_losses_cli::run(std::env::args_os())
}
