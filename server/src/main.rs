use std::process::ExitCode;

use app::state::AppState;
use clap::Parser;
use ledger::{Ledger, WorkedExampleError};
use server::config::{
    ApiKeyCommand, Cli, Command, LedgerCommand, LoadCommand, ResellerCommand, UserCommand,
};
use server::{bench, dataset, demo, load, metrics, operator, telemetry, verify, web, webhooks};

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
    let command = match cli.command {
        None => LedgerCommand::Serve,
        Some(Command::Ledger(command)) => command,
        Some(Command::Load(command)) => return run_load(command, &cli.database.database_url).await,
    };
    let ledger = Ledger::connect(&cli.database.settings())
        .await?
        .with_session_policy(cli.session.policy());
    let code = match command {
        LedgerCommand::Serve => {
            if let Some(addr) = cli.metrics.metrics_addr {
                let registry = metrics::registry()?;
                let listener = tokio::net::TcpListener::bind(addr).await?;
                tracing::info!(addr = %listener.local_addr()?, "serving metrics");
                tokio::spawn(metrics::serve(listener, registry));
            }
            let listener = tokio::net::TcpListener::bind(cli.site.addr).await?;
            tracing::info!(addr = %listener.local_addr()?, backend = ?ledger.backend(), "serving Creditdesk");
            let state = AppState {
                leptos_options: cli.site.leptos_options(),
                ledger: ledger.clone(),
            };
            webhooks::start(ledger.clone(), cli.webhooks.settings());
            web::serve(listener, state, cli.edge.web()).await?;
            ExitCode::SUCCESS
        }
        LedgerCommand::Demo { if_empty } => match demo::load(&ledger).await {
            Err(WorkedExampleError::NotEmpty) if if_empty => {
                println!("The database already has accounts; leaving them as they are.");
                ExitCode::SUCCESS
            }
            loaded => {
                loaded?;
                ExitCode::SUCCESS
            }
        },
        LedgerCommand::Verify => verified(&ledger.verify(&operator::operator()).await?),
        LedgerCommand::Seed {
            sub_accounts,
            transfers,
        } => {
            let plan = ledger::SeedPlan {
                sub_accounts,
                transfers,
            };
            verified(&dataset::seed(&ledger, plan).await?)
        }
        LedgerCommand::BenchReads(args) => {
            bench::run(&ledger, &args).await?;
            ExitCode::SUCCESS
        }
        LedgerCommand::Reseller {
            command: ResellerCommand::Create { name, login },
        } => {
            operator::create_direct_reseller(&ledger, &name, &login).await?;
            ExitCode::SUCCESS
        }
        LedgerCommand::TopUp {
            login,
            credits,
            note,
            request_id,
        } => {
            operator::top_up(&ledger, &login, credits, &note, &request_id).await?;
            ExitCode::SUCCESS
        }
        LedgerCommand::User {
            command: UserCommand::SetPassword { login },
        } => {
            operator::set_password(&ledger, &login).await?;
            ExitCode::SUCCESS
        }
        LedgerCommand::ApiKey {
            command:
                ApiKeyCommand::Create {
                    holder,
                    name,
                    scope,
                },
        } => {
            operator::create_api_key(&ledger, holder.login.as_deref(), &name, &scope).await?;
            ExitCode::SUCCESS
        }
        LedgerCommand::ApiKey {
            command:
                ApiKeyCommand::Revoke {
                    id,
                    name,
                    login,
                    operator: _,
                },
        } => {
            let key = match (id, name) {
                (Some(id), _) => operator::KeyToRevoke::Id(id),
                (None, Some(name)) => operator::KeyToRevoke::Named { name, login },
                (None, None) => {
                    return Err("give --id, or --name with --login or --operator".into());
                }
            };
            operator::revoke_api_key(&ledger, key).await?;
            ExitCode::SUCCESS
        }
        LedgerCommand::Usage {
            login,
            credits,
            reference,
            request_id,
        } => {
            operator::usage(&ledger, &login, credits, &reference, &request_id).await?;
            ExitCode::SUCCESS
        }
    };
    ledger.close().await;
    Ok(code)
}

/// The load tools start this binary's `serve` on databases they make on the server of
/// `database_url` (PostgreSQL), or in SQLite files otherwise.
async fn run_load(
    command: LoadCommand,
    database_url: &str,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let server = std::env::current_exe()?;
    match command {
        LoadCommand::BenchTransfers(args) => {
            load::bench::run(&server, database_url, &args).await?;
            Ok(ExitCode::SUCCESS)
        }
        LoadCommand::CrashTest(args) => {
            let report = load::crash::run_on_fresh_database(&server, database_url, &args).await?;
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
    }
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
