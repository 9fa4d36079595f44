//! The decision: one request against the stored rows, in the server's order.
//!
//! The order is Talk's: the route (`appinfo/routes/routesCallController.php`, 404/405), the
//! body fields the controller method reads, the checks the middleware runs before any
//! controller code (`lib/Middleware/InjectionMiddleware.php`, see `guard`), then the
//! controller method of the endpoint (`lib/Controller/CallController.php`, one file per
//! endpoint in `endpoint/`).

use crate::context::Ctx;
use crate::endpoint;
use crate::guard;
use crate::input;
use crate::model::{Request, State};
use crate::outcome::Outcome;
use crate::route::{self, Endpoint};
use std::borrow::Cow;

/// Decides one request against rows already read: the route, the body fields, the server's
/// checks in order, then the endpoint's rules. Bad body fields give a 400 `bad-input` outcome.
pub fn decide(request: &Request, st: &State) -> Outcome {
    let route = match route::route(&request.method, &request.path) {
        Ok(r) => r,
        Err(o) => return o,
    };
    let params = match input::params(route.endpoint, request) {
        Ok(p) => p,
        Err(e) => return Outcome::bad_input(e),
    };
    let mut cx = Ctx::new(st, &request.actor, request.now, params);
    let mut outcome = match guard::check(&mut cx, &route, &request.actor) {
        Err(o) => o,
        Ok(caller) => match route.endpoint {
            Endpoint::Peers => endpoint::peers::run(&cx),
            Endpoint::Join => endpoint::join::run(&mut cx, &caller),
            Endpoint::UpdateFlags => {
                let flags = cx.params.flags.unwrap_or_default();
                endpoint::update_flags::run(&mut cx, &caller, flags)
            }
            Endpoint::Leave => endpoint::leave::run(&mut cx, &caller),
            Endpoint::Ring => endpoint::ring::run(&mut cx, &caller, route.attendee_id),
            Endpoint::DialOut => endpoint::dialout::run(&mut cx, &caller, route.attendee_id),
        },
    };
    outcome.mutations = cx.mutations;
    outcome.effects = cx.effects;
    if (200..300).contains(&outcome.status) {
        // `ocs.meta.message`: "OK" on success, the exception's message otherwise ("" when none).
        outcome.message = Cow::Borrowed("OK");
    }
    outcome
}
