//! The movements the load makes, drawn at random over the tree: most by the hot resellers to and
//! from their customers (one parent row written by many clients at once), some by the direct
//! reseller over its spread sub-accounts, and usage charged to any customer.

use ledger::{AccountId, TransferKind};
use rand::Rng;

use crate::load::tree::Tree;

/// One credit movement, as a client asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// A grant (positive `credits`) or revoke (negative) by `tree.parents[parent]`.
    Transfer {
        parent: usize,
        sub_account: AccountId,
        credits: i64,
    },
    /// Credits `account` spent, charged by the platform.
    Usage { account: AccountId, credits: i64 },
}

/// Where a movement takes credits from and gives them to, if it is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    pub kind: TransferKind,
    pub from: AccountId,
    pub to: AccountId,
    pub amount: i64,
    /// The account the movement is made for: its idempotency keys are scoped to it.
    pub actor_account: AccountId,
}

impl Move {
    /// A movement drawn at random: 60% by a hot reseller, 20% by the direct reseller, 20% usage;
    /// 1 to 5 credits; three grants for every two revokes.
    pub fn draw(tree: &Tree, rng: &mut impl Rng) -> Self {
        let credits = rng.gen_range(1..=5);
        let roll = rng.gen_range(0..10);
        if roll < 2 && !tree.customers.is_empty() {
            return Self::Usage {
                account: tree.customers[rng.gen_range(0..tree.customers.len())],
                credits,
            };
        }
        let parent = if roll < 4 || tree.parents.len() == 1 {
            0
        } else {
            rng.gen_range(1..tree.parents.len())
        };
        let sub_accounts = &tree.parents[parent].sub_accounts;
        Self::Transfer {
            parent,
            sub_account: sub_accounts[rng.gen_range(0..sub_accounts.len())],
            credits: if rng.gen_bool(0.6) { credits } else { -credits },
        }
    }

    pub fn flow(&self, tree: &Tree) -> Flow {
        match *self {
            Self::Transfer {
                parent,
                sub_account,
                credits,
            } => {
                let parent = tree.parents[parent].account;
                let (kind, from, to) = if credits > 0 {
                    (TransferKind::Grant, parent, sub_account)
                } else {
                    (TransferKind::Revoke, sub_account, parent)
                };
                Flow {
                    kind,
                    from,
                    to,
                    amount: credits.abs(),
                    actor_account: parent,
                }
            }
            Self::Usage { account, credits } => Flow {
                kind: TransferKind::Usage,
                from: account,
                to: tree.platform,
                amount: credits,
                actor_account: tree.platform,
            },
        }
    }
}
