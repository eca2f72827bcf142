//! [`Sts`] over `aws-sdk-sts`: who the credentials are.

use ssomatrix_core::ids::AccountId;
use ssomatrix_core::ports::{Operation, PortResult, Sts};

use crate::AwsPorts;
use crate::error::{AdapterError, port_error};
use crate::sso::required;

impl Sts for AwsPorts {
    /// `GetCallerIdentity` needs no IAM permission: AWS answers it even
    /// when an explicit deny covers `sts:GetCallerIdentity`.
    async fn get_caller_identity(&self) -> PortResult<AccountId> {
        const OP: Operation = Operation::GetCallerIdentity;
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        let id = required("Account", out.account()).map_err(|e| e.into_port(OP))?;
        AccountId::new(id).map_err(|e| AdapterError::from(e).into_port(OP))
    }
}
