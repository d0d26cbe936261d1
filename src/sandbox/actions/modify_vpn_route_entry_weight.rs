//! `ModifyVpnRouteEntryWeight`: a destination route's weight, from `Weight` (the
//! route's own: another names no route, 400 `InvalidRouteEntry.NotFound`) to
//! `NewWeight` (0 or 100, `MissingNewWeight` when absent). Asynchronous on the
//! gateway's lane: the new weight is described once the gateway is `active` again (and
//! the list lag is over). Checks and codes: [`super::routes::change`]. No `DryRun`: one
//! sent acts. Answers `{RequestId}`.

use serde_json::Value;

use super::routes::{self, weight_param};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::routes::VpnRoute;
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let new_weight = weight_param(req, "NewWeight")?;
    routes::change::<VpnRoute>(
        req,
        inner,
        call,
        ("ModifyVpnRouteEntryWeight", "updated"),
        |route| {
            route.weight = new_weight;
            Ok(())
        },
    )
}
