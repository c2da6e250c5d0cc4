use std::process::ExitCode;

use app::state::AppState;
use clap::Parser;
use ledger::{Ledger, WorkedExampleError};
use server::config::{Cli, Command, ResellerCommand, UserCommand};
use server::web::WebConfig;
use server::{bench, dataset, demo, operator, telemetry, verify, web};

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let ledger = Ledger::connect(&cli.database.settings())
        .await?
        .with_session_policy(cli.session.policy());
    let code = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let listener = tokio::net::TcpListener::bind(cli.site.addr).await?;
            tracing::info!(addr = %listener.local_addr()?, backend = ?ledger.backend(), "serving Creditdesk");
            let state = AppState {
                leptos_options: cli.site.leptos_options(),
                ledger: ledger.clone(),
            };
            let config = WebConfig {
                trust_proxy: cli.session.trust_proxy,
            };
            web::serve(listener, state, config).await?;
            ExitCode::SUCCESS
        }
        Command::Demo { if_empty } => match demo::load(&ledger).await {
            Err(WorkedExampleError::NotEmpty) if if_empty => {
                println!("The database already has accounts; leaving them as they are.");
                ExitCode::SUCCESS
            }
            loaded => {
                loaded?;
                ExitCode::SUCCESS
            }
        },
        Command::Verify => verified(&ledger.verify(&operator::operator()).await?),
        Command::Seed {
            sub_accounts,
            transfers,
        } => {
            let plan = ledger::SeedPlan {
                sub_accounts,
                transfers,
            };
            verified(&dataset::seed(&ledger, plan).await?)
        }
        Command::BenchReads(args) => {
            bench::run(&ledger, &args).await?;
            ExitCode::SUCCESS
        }
        Command::Reseller {
            command: ResellerCommand::Create { name, login },
        } => {
            operator::create_direct_reseller(&ledger, &name, &login).await?;
            ExitCode::SUCCESS
        }
        Command::TopUp {
            login,
            credits,
            note,
        } => {
            operator::top_up(&ledger, &login, credits, &note).await?;
            ExitCode::SUCCESS
        }
        Command::User {
            command: UserCommand::SetPassword { login },
        } => {
            operator::set_password(&ledger, &login).await?;
            ExitCode::SUCCESS
        }
    };
    ledger.close().await;
    Ok(code)
}

/// Prints the report; success only when it is clean.
fn verified(report: &ledger::VerifyReport) -> ExitCode {
    verify::print(report);
    if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
