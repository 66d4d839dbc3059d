//! The `marsad` binary: parse the command line, hand it to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    marsad::cli::run(marsad::cli::Cli::parse())
}
