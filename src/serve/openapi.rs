//! The OpenAPI document of `tlsaudit serve`'s JSON API, served at `/api/openapi.json`.
//!
//! The operations are written here, one per route of [`super::api_paths`] (a test holds the
//! two lists equal); the response schemas are generated from the very types the handlers
//! serialise (schemars, OpenAPI 3.0 flavour), the scan report's among them, so they cannot
//! drift from the code.

use schemars::gen::{SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::{json, Value};

use super::client_test::ClientTest;
use super::jobs::{DoneEvent, StageEvent};
use super::{ApiError, PolicyEntry, RecentEntry, ResultView};
use crate::report::TargetReport;

/// The whole document.
pub fn document() -> Value {
    let mut gen = SchemaSettings::openapi3().into_generator();
    let error = schema::<ApiError>(&mut gen);
    let refusal = |what: &str| {
        json!({
            "description": what,
            "content": { "application/json": { "schema": error } }
        })
    };
    // Every route may be refused for its size (413, 414, 431) or not found.
    let default = refusal(
        "A refusal: an oversized request (413, 414, 431), an unknown id (404), a failing \
         results store (500); `error` says what went wrong",
    );
    let ok = |what: &str, s: Value| json!({ "description": what, "content": { "application/json": { "schema": s } } });
    let id = json!({
        "name": "id", "in": "path", "required": true,
        "description": "A result's id, as `/r/{id}` and the recent list show it",
        "schema": { "type": "integer", "format": "int64", "minimum": 1 }
    });
    let query = |name: &str, required: bool, what: &str| {
        json!({
            "name": name, "in": "query", "required": required, "description": what,
            "schema": { "type": "string" }
        })
    };
    let starttls_names = format!(
        "{}, or none; a scheme in the target (imaps://, submission://) decides instead",
        crate::facts::Starttls::ALL.map(|p| p.name()).join(", ")
    );
    let report = schema::<TargetReport>(&mut gen);
    let recent = schema::<Vec<RecentEntry>>(&mut gen);
    let result = schema::<ResultView>(&mut gen);
    let policies = schema::<Vec<PolicyEntry>>(&mut gen);
    let stage_event = schema::<StageEvent>(&mut gen);
    let done_event = schema::<DoneEvent>(&mut gen);
    let client_test = schema::<ClientTest>(&mut gen);
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "tlsaudit serve",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Scan a TLS server, judge it by a policy, and read stored results. \
                Every scan is pinned to an address on the server's allow list and counted \
                against the client's rate (429 with Retry-After)."
        },
        "paths": {
            "/api/scan": { "get": {
                "operationId": "scan",
                "summary": "Scan a target and answer its judged report (stored; Content-Location names the result)",
                "parameters": [
                    query("target", true, "HOST[:PORT], an address, or a URL"),
                    query("policy", false, "A policy of /api/policies, or none; the server's default when absent"),
                    query("starttls", false, &starttls_names),
                ],
                "responses": {
                    "200": ok("The judged target: one targets[] entry of `tlsaudit scan --format json`", report),
                    "400": refusal("Bad input: the reason names the field"),
                    "403": refusal("The target's address is outside the allow list"),
                    "429": refusal("Too many scans: this client's rate, or the server's scans at once (Retry-After)"),
                    "504": refusal("The scan did not finish within the server's deadline"),
                    "default": default,
                }
            }},
            "/api/scan/{id}/events": { "get": {
                "operationId": "scanEvents",
                "summary": "A scan's progress as server-sent events",
                "description": "`event: stage` with a StageEvent as data for each step as it \
                    finishes (those told before the request first), then `event: done` with a \
                    DoneEvent, and the stream ends. A finished scan's stream is its done event.",
                "parameters": [id],
                "responses": {
                    "200": {
                        "description": "text/event-stream of `stage` and `done` events",
                        "content": { "text/event-stream": {
                            "schema": { "type": "string" },
                        }},
                        "x-event-data": { "stage": stage_event, "done": done_event },
                    },
                    "default": default,
                }
            }},
            "/api/results": { "get": {
                "operationId": "recentResults",
                "summary": "The running scans, then the latest stored results, newest first",
                "responses": {
                    "200": ok("The recent results", recent),
                    "default": default,
                }
            }},
            "/api/results/{id}": { "get": {
                "operationId": "result",
                "summary": "One result: its reports and what changed since each target's previous scan",
                "parameters": [id],
                "responses": {
                    "200": ok("The result", result),
                    "default": default,
                }
            }},
            "/api/policies": { "get": {
                "operationId": "policies",
                "summary": "The policies a scan can be judged by",
                "responses": {
                    "200": ok("The policies, the default marked", policies),
                    "default": default,
                }
            }},
            "/api/client": { "get": {
                "operationId": "clientTest",
                "summary": "The ClientHello this request's TLS connection began with, analysed and judged by every policy",
                "description": "Over the TLS listener (`--tls-listen`) only: each connection is \
                    judged by the hello it began with. Over plain HTTP the answer is a 400 that \
                    names the TLS listener's address.",
                "responses": {
                    "200": ok("The client check's report of this connection, with a verdict per policy", client_test),
                    "400": refusal("Not over TLS: there is no ClientHello to show"),
                    "default": default,
                }
            }},
            "/api/openapi.json": { "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {
                    "200": ok("An OpenAPI 3.0 document", json!({ "type": "object" })),
                    "default": default,
                }
            }},
        },
        "components": { "schemas": gen.take_definitions() },
    });
    wrap_refs(&mut doc);
    doc
}

/// In OpenAPI 3.0 a `$ref` stands alone: keys beside it (schemars puts `nullable` and
/// `description` there for an `Option` of a named type) are ignored, which would make every
/// nullable section non-nullable. Such a schema becomes `allOf: [{$ref}]` with its keys.
fn wrap_refs(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.len() > 1 {
                if let Some(r) = map.remove("$ref") {
                    map.insert("allOf".into(), json!([{ "$ref": r }]));
                }
            }
            map.values_mut().for_each(wrap_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(wrap_refs),
        _ => {}
    }
}

/// `T`'s schema: a `$ref` into `components/schemas` for a named type.
fn schema<T: JsonSchema>(gen: &mut SchemaGenerator) -> Value {
    serde_json::to_value(gen.subschema_for::<T>()).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_describes_exactly_the_routes_of_the_api() {
        let doc = document();
        let mut documented: Vec<&str> = doc["paths"]
            .as_object()
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        documented.sort_unstable();
        let mut routed = super::super::api_paths();
        routed.sort_unstable();
        assert_eq!(documented, routed);
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        assert!(schemas.contains_key("TargetReport"));
        for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = part.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "dangling $ref {name}");
        }
        assert!(!text.contains("#/definitions/"));
    }

    #[test]
    fn a_ref_never_has_keys_beside_it() {
        fn check(v: &Value) {
            match v {
                Value::Object(m) => {
                    assert!(!m.contains_key("$ref") || m.len() == 1, "{v}");
                    m.values().for_each(check);
                }
                Value::Array(a) => a.iter().for_each(check),
                _ => {}
            }
        }
        check(&document());
        let nullable =
            &document()["components"]["schemas"]["FeaturesSection"]["properties"]["legacy_version"];
        assert_eq!(nullable["nullable"], true);
        assert_eq!(
            nullable["allOf"][0]["$ref"],
            "#/components/schemas/TlsVersion"
        );
    }
}
