//! Method + path → endpoint, as Talk 18's `appinfo/routes/routesCallController.php`
//! declares them (`apiVersion` must be `v4`, `token` must match `[a-z0-9]{4,30}`,
//! `attendeeId` has no pattern and is cast like an `int` argument). The path is
//! first read the way Nextcloud reads it (see [`crate::reading::routing_path`]:
//! slashes collapsed, then percent-decoded once).

use crate::outcome::{Outcome, Reason};
use crate::reading::{php_int_of_bytes, routing_path};

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

/// `ocs/v2.php` (the script) and the app's segment: literal in the raw path. The
/// web server picks the script by its name, and Nextcloud's router loads an app's
/// routes by the app segment of the undecoded path (`lib/private/Route/Router.php::findMatchingRoute`).
const OCS_PREFIX: &[u8] = b"/ocs/v2.php/apps/spreed/api/";

fn token_ok(t: &[u8]) -> bool {
    (4..=30).contains(&t.len()) && t.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Resolves a request line. A path that matches no route is 404 `no-route`; a known
/// path with another method is 405 `method-not-allowed` (the router answers before
/// any OCS envelope exists, so `data` is null).
pub fn route(method: &str, path: &str) -> Result<Route, Outcome> {
    let no_route = || Outcome::empty(404, Reason::NoRoute);
    let decoded = routing_path(path);
    // The prefix holds no `%`, so the decoded path starts with it too.
    let rest: &[u8] = if starts_raw(path, OCS_PREFIX) {
        decoded[OCS_PREFIX.len()..].strip_prefix(b"v4/").ok_or_else(no_route)?
    } else {
        decoded.strip_prefix(b"/").unwrap_or(&decoded)
    };
    let segments: Vec<&[u8]> = rest.split(|&b| b == b'/').collect();
    let (endpoint, attendee_id) = match segments.as_slice() {
        [b"call", token] if token_ok(token) => (
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
        [b"call", token, action, id]
            if token_ok(token) && !id.is_empty() && matches!(*action, b"ring" | b"dialout") =>
        {
            if method != "POST" {
                return Err(method_not_allowed());
            }
            let ep = if *action == b"ring" { Endpoint::Ring } else { Endpoint::DialOut };
            (ep, php_int_of_bytes(id))
        }
        _ => return Err(no_route()),
    };
    // token_ok accepted only ASCII letters and digits.
    let token = String::from_utf8_lossy(segments[1]).into_owned();
    Ok(Route { endpoint, token, attendee_id })
}

/// Does the raw path, with runs of `/` collapsed, start with `prefix`?
fn starts_raw(path: &str, prefix: &[u8]) -> bool {
    let mut collapsed = path.as_bytes().iter().copied().filter({
        let mut last = 0u8;
        move |&b| {
            let keep = !(b == b'/' && last == b'/');
            last = b;
            keep
        }
    });
    prefix.iter().all(|&p| collapsed.next() == Some(p))
}

fn method_not_allowed() -> Outcome {
    let mut o = Outcome::empty(405, Reason::MethodNotAllowed);
    o.data = crate::outcome::Data::Json(serde_json::Value::Null);
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

    // Request::getRawPathInfo() collapses slashes; UrlMatcher::match() rawurldecodes.
    #[test]
    fn paths_are_read_like_nextcloud() {
        assert_eq!(ep("GET", "/call/ab%63d"), Ok((Endpoint::Peers, 0)));
        assert_eq!(route("GET", "/call/ab%63d").unwrap().token, "abcd");
        assert_eq!(ep("POST", "/call/abcd/ring/%2B12"), Ok((Endpoint::Ring, 12)));
        assert_eq!(ep("POST", "/call/abcd/r%69ng/7"), Ok((Endpoint::Ring, 7)));
        assert_eq!(ep("GET", "//call/abcd"), Ok((Endpoint::Peers, 0)));
        assert_eq!(ep("GET", "/call//abcd"), Ok((Endpoint::Peers, 0)));
        assert_eq!(ep("GET", "/ocs/v2.php/apps/spreed/api//v4//call///abcd?format=json"), Ok((Endpoint::Peers, 0)));
        assert_eq!(ep("GET", "//ocs//v2.php/apps/spreed/api/v%34/call/abcd"), Ok((Endpoint::Peers, 0)));
        assert_eq!(ep("GET", "/ocs/v2.php/apps/spre%65d/api/v4/call/abcd"), Err(Reason::NoRoute));
        assert_eq!(ep("GET", "/call/abcd//"), Err(Reason::NoRoute), "a trailing slash finds no route");
        assert_eq!(ep("GET", "/call/ab%2Fcd"), Err(Reason::NoRoute));
        assert_eq!(ep("GET", "/call/ABCD"), Err(Reason::NoRoute));
        assert_eq!(ep("POST", "/call/abcd/ring/12%FF"), Ok((Endpoint::Ring, 12)));
        assert_eq!(ep("POST", "/call/abcd/ring/1e999"), Ok((Endpoint::Ring, 0)));
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
        assert_eq!((o.status, o.data.to_value().is_null()), (405, true));
        assert_eq!(ep("HEAD", "/call/abcd"), Ok((Endpoint::Peers, 0)), "HEAD is routed like GET");
        assert_eq!(ep("HEAD", "/call/abcd/ring/1"), Err(Reason::MethodNotAllowed));
    }
}
