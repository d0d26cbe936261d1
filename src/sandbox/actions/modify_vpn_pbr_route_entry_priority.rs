//! `ModifyVpnPbrRouteEntryPriority`: a policy-based route's priority, to `NewPriority`
//! (1 to 100, `MissingNewPriority` when absent). The route is named by its tuple, its
//! `Weight`, and its old `Priority` if given (a value other than the route's names
//! none: 400 `InvalidRouteEntry.NotFound`). On the gateway's lane, checks and codes in
//! [`super::routes::change`], no `DryRun` (one sent acts), `{RequestId}`.

use serde_json::Value;

use super::routes::{self, priority_param};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::routes::VpnPbrRoute;
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    req.required("NewPriority")?;
    let new_priority = priority_param(req, "NewPriority")?.unwrap_or_default();
    routes::change::<VpnPbrRoute>(
        req,
        inner,
        call,
        ("ModifyVpnPbrRouteEntryPriority", "updated"),
        |route| {
            route.priority = new_priority;
            Ok(())
        },
    )
}
