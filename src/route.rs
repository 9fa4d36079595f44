//! Method + path → endpoint, as Talk 18's `appinfo/routes/routesCallController.php`
//! declares them (`apiVersion` must be `v4`, `token` must match `[a-z0-9]{4,30}`,
//! `attendeeId` has no pattern and is cast like an `int` argument).

use crate::input::php_int_of_string;
use crate::outcome::{Outcome, Reason};

/// The six call endpoints and their controller methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// GET `/call/{token}` → `getPeersForCall`
    Peers,
    /// POST `/call/{token}` → `joinCall`
    Join,
    /// PUT `/call/{token}` → `updateCallFlags`
    UpdateFlags,
    /// DELETE `/call/{token}` → `leaveCall`
    Leave,
    /// POST `/call/{token}/ring/{attendeeId}` → `ringAttendee`
    Ring,
    /// POST `/call/{token}/dialout/{attendeeId}` → `sipDialOut`
    DialOut,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub endpoint: Endpoint,
    pub token: String,
    /// The `{attendeeId}` segment of ring and dial-out, cast like PHP's `(int)`.
    pub attendee_id: i64,
}

const OCS_PREFIX: &str = "/ocs/v2.php/apps/spreed/api/";

fn token_ok(t: &str) -> bool {
    (4..=30).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Resolves a request line. A path that matches no route is 404 `no-route`; a known
/// path with another method is 405 `method-not-allowed` (the router answers before
/// any OCS envelope exists, so `data` is null).
pub fn route(method: &str, path: &str) -> Result<Route, Outcome> {
    let no_route = || Outcome::empty(404, Reason::NoRoute);
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let rest = match path.strip_prefix(OCS_PREFIX) {
        Some(versioned) => versioned.strip_prefix("v4/").ok_or_else(no_route)?,
        None => path.strip_prefix('/').unwrap_or(path),
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let (endpoint, attendee_id) = match segments.as_slice() {
        ["call", token] if token_ok(token) => (
            match method {
                // Symfony's URL matcher routes HEAD like GET.
                "GET" | "HEAD" => Endpoint::Peers,
                "POST" => Endpoint::Join,
                "PUT" => Endpoint::UpdateFlags,
                "DELETE" => Endpoint::Leave,
                _ => return Err(method_not_allowed()),
            },
            0,
        ),
        ["call", token, action @ ("ring" | "dialout"), id] if token_ok(token) && !id.is_empty() => {
            if method != "POST" {
                return Err(method_not_allowed());
            }
            let ep = if *action == "ring" { Endpoint::Ring } else { Endpoint::DialOut };
            (ep, php_int_of_string(id))
        }
        _ => return Err(no_route()),
    };
    Ok(Route { endpoint, token: segments[1].to_string(), attendee_id })
}

fn method_not_allowed() -> Outcome {
    let mut o = Outcome::empty(405, Reason::MethodNotAllowed);
    o.data = crate::json::Value::Null;
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(m: &str, p: &str) -> Result<(Endpoint, i64), Reason> {
        route(m, p).map(|r| (r.endpoint, r.attendee_id)).map_err(|o| o.reason)
    }

    #[test]
    fn six_routes() {
        assert_eq!(ep("GET", "/call/abcd"), Ok((Endpoint::Peers, 0)));
        assert_eq!(ep("POST", "/call/abcd"), Ok((Endpoint::Join, 0)));
        assert_eq!(ep("PUT", "call/abcd"), Ok((Endpoint::UpdateFlags, 0)));
        assert_eq!(ep("DELETE", "/ocs/v2.php/apps/spreed/api/v4/call/abcd?format=json"), Ok((Endpoint::Leave, 0)));
        assert_eq!(ep("POST", "/call/abcd/ring/12"), Ok((Endpoint::Ring, 12)));
        assert_eq!(ep("POST", "/call/abcd/dialout/-5"), Ok((Endpoint::DialOut, -5)));
        assert_eq!(ep("POST", "/call/abcd/ring/abc"), Ok((Endpoint::Ring, 0)));
    }

    #[test]
    fn misses() {
        assert_eq!(ep("GET", "/ocs/v2.php/apps/spreed/api/v3/call/abcd"), Err(Reason::NoRoute));
        assert_eq!(ep("GET", "/call/ABCD"), Err(Reason::NoRoute));
        assert_eq!(ep("GET", "/call/abc"), Err(Reason::NoRoute));
        assert_eq!(ep("GET", &format!("/call/{}", "a".repeat(31))), Err(Reason::NoRoute));
        assert_eq!(ep("GET", "/call/abcd/"), Err(Reason::NoRoute));
        assert_eq!(ep("POST", "/call/abcd/ring/"), Err(Reason::NoRoute));
        assert_eq!(ep("POST", "/room/abcd"), Err(Reason::NoRoute));
        assert_eq!(ep("PATCH", "/call/abcd"), Err(Reason::MethodNotAllowed));
        assert_eq!(ep("GET", "/call/abcd/ring/1"), Err(Reason::MethodNotAllowed));
        let o = route("OPTIONS", "/call/abcd").unwrap_err();
        assert_eq!((o.status, o.data.is_null()), (405, true));
        assert_eq!(ep("HEAD", "/call/abcd"), Ok((Endpoint::Peers, 0)), "HEAD is routed like GET");
        assert_eq!(ep("HEAD", "/call/abcd/ring/1"), Err(Reason::MethodNotAllowed));
    }
}
