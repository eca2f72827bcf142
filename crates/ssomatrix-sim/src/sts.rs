//! The STS port: who the caller is.

use ssomatrix_core::ids::AccountId;
use ssomatrix_core::ports::{Operation, PortResult, Sts};

use crate::Simulator;

impl Sts for Simulator {
    /// The snapshot's `caller_account_id`, or the management account when
    /// it has none.
    async fn get_caller_identity(&self) -> PortResult<AccountId> {
        self.call(Operation::GetCallerIdentity, |st| {
            Ok(st
                .snapshot
                .caller_account_id
                .clone()
                .unwrap_or_else(|| st.snapshot.organization.management_account_id.clone()))
        })
        .await
    }
}
