//! The `vpnform` binary: parse, run, exit. Everything else is in the library.

fn main() -> std::process::ExitCode {
    vpnform::cli::main()
}
