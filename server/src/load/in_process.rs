//! The ledger alone: the clients' movements made by as many tasks calling the ledger in this
//! process, with no HTTP and no API keys, on a tree of their own. It sits between the bare database
//! loop and the HTTP figures: what the group commit itself allows, so that the rest of the gap to
//! an HTTP figure is what the HTTP path costs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ledger::{
    Actor, Credits, IdempotencyKey, Ledger, Note, TransferError, TransferRequest, UsageDebit,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::load::LoadError;
use crate::load::report::Tally;
use crate::load::tree::{self, Tree, TreeError};
use crate::load::workload::Move;
use crate::operator::operator;

/// Who makes each movement: the parents in the order of [`Tree::parents`], and the platform for
/// usage.
#[derive(Clone)]
pub struct Actors {
    parents: Vec<Actor>,
    platform: Actor,
}

impl Actors {
    pub async fn of(ledger: &Ledger, tree: &Tree) -> Result<Self, TreeError> {
        let mut parents = Vec::with_capacity(tree.parents.len());
        for parent in &tree.parents {
            parents.push(tree::actor(ledger, &parent.login).await?);
        }
        Ok(Self {
            parents,
            platform: ledger.platform_actor(&operator()),
        })
    }
}

/// `tasks` tasks make movements drawn as the clients draw them until `duration` is up.
pub async fn run(
    ledger: &Ledger,
    tree: &Tree,
    actors: &Actors,
    tasks: usize,
    duration: Duration,
) -> Result<(Tally, Duration), LoadError> {
    let note =
        Arc::new(Note::parse("load").map_err(|error| TreeError::Invalid(error.to_string()))?);
    let started = Instant::now();
    let until = started + duration;
    let mut running = Vec::with_capacity(tasks);
    for task in 0..tasks {
        let (ledger, tree, actors, note) = (
            ledger.clone(),
            tree.clone(),
            actors.clone(),
            Arc::clone(&note),
        );
        running.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(task as u64);
            let mut tally = Tally::default();
            while Instant::now() < until {
                let movement = Move::draw(&tree, &mut rng);
                let began = Instant::now();
                let (kind, moved) = match make(&ledger, &actors, &note, movement).await {
                    Ok(()) => (String::new(), true),
                    Err(refused) => (refused, false),
                };
                tally.count(kind, began.elapsed(), moved);
            }
            tally
        }));
    }
    let mut total = Tally::default();
    for task in running {
        total.merge(task.await?);
    }
    Ok((total, started.elapsed()))
}

/// One movement under a fresh key, through the ledger's own entry points; why it moved nothing
/// otherwise.
async fn make(ledger: &Ledger, actors: &Actors, note: &Note, movement: Move) -> Result<(), String> {
    let key = IdempotencyKey::generate();
    let refused = |error: TransferError| error.to_string();
    match movement {
        Move::Transfer {
            parent,
            sub_account,
            credits,
        } => {
            let request = TransferRequest {
                sub_account,
                credits: amount(credits.abs())?,
                note: note.clone(),
                key,
            };
            let actor = &actors.parents[parent];
            if credits > 0 {
                ledger.grant(actor, &request).await.map_err(refused)?;
            } else {
                ledger.revoke(actor, &request).await.map_err(refused)?;
            }
        }
        Move::Usage { account, credits } => {
            let debit = UsageDebit {
                account,
                credits: amount(credits)?,
                reference: note.clone(),
                key,
            };
            ledger
                .usage(&actors.platform, &debit)
                .await
                .map_err(refused)?;
        }
    }
    Ok(())
}

fn amount(credits: i64) -> Result<Credits, String> {
    Credits::new(credits).map_err(|error| error.to_string())
}
