//! `ModifyVpnPbrRouteEntryWeight`: a policy-based route's weight, from `Weight` (the
//! route's own, as its `Priority` if given) to `NewWeight` (0 or 100). As
//! ModifyVpnRouteEntryWeight: on the gateway's lane, checks and codes in
//! [`super::routes::change`], no `DryRun` (one sent acts), `{RequestId}`.

use serde_json::Value;

use super::routes::{self, weight_param};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::routes::VpnPbrRoute;
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let new_weight = weight_param(req, "NewWeight")?;
    routes::change::<VpnPbrRoute>(
        req,
        inner,
        call,
        ("ModifyVpnPbrRouteEntryWeight", "updated"),
        |route| {
            route.weight = new_weight;
            Ok(())
        },
    )
}
