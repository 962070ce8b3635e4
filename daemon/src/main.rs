//! The `hallbox` binary: parses the command line and runs one command.

use std::process::ExitCode;

use clap::Parser;
use hallbox::cli::{Cli, Command, ImportCommand, TokenCommand};
use hallbox::{commands, logging};

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init();

    let result = match cli.command {
        Command::Serve { config } => commands::serve(&config),
        Command::CheckConfig { file } => commands::check_config(&file),
        Command::Import(ImportCommand::Attlog {
            file,
            device,
            new_device,
            config,
        }) => commands::import_attlog(&file, &device, new_device, &config),
        Command::Report {
            config,
            month,
            format,
            table,
            as_of,
        } => commands::report(&config, &month, format, table, as_of.as_deref()),
        Command::Verify { config, journal } => commands::verify(&config, journal.as_deref()),
        Command::Token(TokenCommand::New {
            role,
            unit,
            id,
            config,
        }) => commands::token_new(&role, unit.as_deref(), id.as_deref(), config.as_deref()),
        Command::Demo {
            listen,
            dir,
            no_serve,
        } => commands::demo(listen, dir.as_deref(), no_serve),
    };

    match result {
        Ok(code) => code,
        Err(error) => {
            // `{:#}` prints the whole chain: "failed to X: because Y: because Z".
            eprintln!("hallbox: {error:#}");
            ExitCode::FAILURE
        }
    }
}
