//! Who is asking. Every operation of the ledger takes its caller first and decides by itself what
//! that caller may see or do, so the web pages, the API and the command line share one set of rules.

use crate::accounts::{AccountId, AccountKind};
use crate::sessions::SignedIn;

/// Someone acting for one account: a signed-in user, named in the ledger by their login.
///
/// Built only from a session the ledger validated (or by the ledger itself for operators' tools and
/// tests), so its account and kind are facts, not claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    account: AccountId,
    kind: AccountKind,
    name: String,
}

impl Actor {
    pub(crate) fn new(account: AccountId, kind: AccountKind, name: String) -> Self {
        Self {
            account,
            kind,
            name,
        }
    }

    /// The account this actor acts for.
    pub fn account(&self) -> AccountId {
        self.account
    }

    pub fn kind(&self) -> AccountKind {
        self.kind
    }

    /// The name recorded with every transfer this actor makes.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl From<&SignedIn> for Actor {
    fn from(signed_in: &SignedIn) -> Self {
        Self::new(signed_in.account, signed_in.kind, signed_in.login.clone())
    }
}

/// A platform operator at the command line: issues credits, opens direct resellers, resets
/// passwords, and reads anything. Never reachable from HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    name: String,
}

impl Operator {
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }

    /// The name recorded with every transfer this operator makes.
    pub fn name(&self) -> &str {
        &self.name
    }
}
