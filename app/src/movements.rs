//! Credit movements counted for the metrics (server only): every adapter that asks the ledger to
//! move credits (the pages' server functions, the REST API, the command line) counts the answer
//! here, so the three channels are counted alike.

use ledger::{Applied, TransferError, TransferKind};

/// The metric: credit movements by `kind`, `channel`, `outcome` (`applied`, `replayed`,
/// `refused`) and, for a refusal, its `reason` (`none` otherwise).
pub const CREDIT_MOVEMENTS: &str = "creditdesk_credit_movements_total";

/// Who asked the ledger for the movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// A signed-in user, through a server function.
    Ui,
    /// An API key, through `/v1`.
    Api,
    /// An operator, through a command.
    Cli,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ui => "ui",
            Self::Api => "api",
            Self::Cli => "cli",
        }
    }
}

/// Counts the ledger's answer to one movement of `kind`, and hands it on.
pub fn counted(
    kind: TransferKind,
    channel: Channel,
    answer: Result<Applied, TransferError>,
) -> Result<Applied, TransferError> {
    let (outcome, reason) = match &answer {
        Ok(applied) if applied.replayed => ("replayed", "none"),
        Ok(_) => ("applied", "none"),
        Err(error) => ("refused", refusal(error)),
    };
    metrics::counter!(
        CREDIT_MOVEMENTS,
        "kind" => kind.as_str(),
        "channel" => channel.as_str(),
        "outcome" => outcome,
        "reason" => reason,
    )
    .increment(1);
    answer
}

/// A stable label per refusal, matched exhaustively so that a new one has to choose its own.
fn refusal(error: &TransferError) -> &'static str {
    match error {
        TransferError::SubAccountNotFound => "sub_account_not_found",
        TransferError::NotADirectReseller => "not_a_direct_reseller",
        TransferError::KeyReused => "key_reused",
        TransferError::OwnAccountSuspended => "own_account_suspended",
        TransferError::NotEnoughCredits { .. } => "not_enough_credits",
        TransferError::SubAccountShort { .. } => "sub_account_short",
        TransferError::Suspended { .. } => "suspended",
        TransferError::UsageNotAllowed => "usage_not_allowed",
        TransferError::AccountNotFound => "account_not_found",
        TransferError::UsageShort { .. } => "usage_short",
        TransferError::Store(_) => "internal",
    }
}
