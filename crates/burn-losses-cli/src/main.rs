//! The `burn-losses` binary: [`burn_losses_cli::run`] on the process arguments.

fn main() -> std::process::ExitCode {
    burn_losses_cli::run(std::env::args_os())
}
