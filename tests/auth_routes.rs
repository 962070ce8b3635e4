//! Every route with no token, a bad token, each role it does not serve,
//! and a chief token of another unit, while the roles it serves get past
//! the check. The health check needs no token, tokens never reach the log,
//! and a token made by `hallbox token new` works once its entry is in the
//! configuration.

mod support;

use std::process::Stdio;

use reqwest::Method;
use serde_json::{json, Value};
use support::{token, Server, TOKENS};

/// A route, the roles it serves, and a body that passes validation or
/// fails it only after the role check (the check comes first).
struct Route {
    method: Method,
    path: &'static str,
    roles: &'static [&'static str],
    body: Option<Value>,
}

fn routes() -> Vec<Route> {
    let route = |method: Method, path, roles, body| Route {
        method,
        path,
        roles,
        body,
    };
    let readers: &[&str] = &["hr", "bureau", "central", "chief"];
    vec![
        route(
            Method::GET,
            "/api/v1/attendance/monthly?month=2026-11",
            readers,
            None,
        ),
        route(
            Method::POST,
            "/api/v1/imports/attlog?device=clock-1&new_device=true",
            &["bureau"],
            None,
        ),
        route(
            Method::GET,
            "/api/v1/writeoffs?month=2026-11",
            &["bureau"],
            None,
        ),
        route(
            Method::POST,
            "/api/v1/writeoffs",
            &["bureau"],
            Some(json!({})),
        ),
        route(
            Method::POST,
            "/api/v1/writeoffs/1/paperwork",
            &["bureau"],
            Some(json!({})),
        ),
        route(
            Method::POST,
            "/api/v1/writeoffs/1/revoke",
            &["bureau"],
            Some(json!({})),
        ),
        route(
            Method::GET,
            "/api/v1/outages?month=2026-11",
            &["bureau"],
            None,
        ),
        route(
            Method::POST,
            "/api/v1/outages",
            &["bureau"],
            Some(json!({})),
        ),
        route(
            Method::POST,
            "/api/v1/outages/1/close",
            &["bureau"],
            Some(json!({})),
        ),
        route(
            Method::POST,
            "/api/v1/outages/1/notes",
            &["bureau"],
            Some(json!({})),
        ),
        route(
            Method::GET,
            "/api/v1/patrols?month=2026-11",
            &["bureau"],
            None,
        ),
        route(
            Method::POST,
            "/api/v1/patrols",
            &["bureau"],
            Some(json!({})),
        ),
        route(Method::GET, "/api/v1/audit", &["bureau"], None),
        route(
            Method::GET,
            "/api/v1/events?after=0&limit=5",
            &["bureau", "central"],
            None,
        ),
    ]
}

async fn send(
    client: &reqwest::Client,
    server: &Server,
    route: &Route,
    authorization: Option<&str>,
) -> (u16, Value) {
    let mut request = client.request(route.method.clone(), server.url(route.path));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    if let Some(body) = &route.body {
        request = request.json(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn every_route_checks_token_and_role() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&support::hall_config(dir.path()));
    let client = reqwest::Client::new();

    for route in routes() {
        let name = format!("{} {}", route.method, route.path);

        let (status, body) = send(&client, &server, &route, None).await;
        assert_eq!(status, 401, "{name} without a token");
        assert_eq!(body["error"]["code"], "missing_token", "{name}: {body}");

        // (Authorization header, case)
        let bad = [
            ("Bearer hbx_not_a_token_of_this_box", "unknown token"),
            (&*format!("Basic {}", token("bureau-1")), "other scheme"),
            ("Bearer ", "empty token"),
        ];
        for (header, case) in bad {
            let (status, body) = send(&client, &server, &route, Some(header)).await;
            assert_eq!(status, 401, "{name} with {case}");
            assert_eq!(
                body["error"]["code"], "invalid_token",
                "{name} with {case}: {body}"
            );
        }

        for test_token in TOKENS {
            let header = format!("Bearer {}", test_token.token);
            let (status, body) = send(&client, &server, &route, Some(&header)).await;
            if route.roles.contains(&test_token.role) {
                assert!(
                    status != 401 && status != 403,
                    "{name} as {}: {status} {body}",
                    test_token.id
                );
            } else {
                assert_eq!(status, 403, "{name} as {}: {body}", test_token.id);
                assert_eq!(body["error"]["code"], "forbidden", "{name}: {body}");
                let message = body["error"]["message"].as_str().unwrap();
                assert!(message.contains(test_token.role), "{name}: {message}");
            }
        }
    }
}

#[tokio::test]
async fn chief_reads_own_unit_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&support::hall_config(dir.path()));
    let client = reqwest::Client::new();
    let report = |query: &'static str, token_id: &'static str| {
        client
            .get(server.url(&format!("/api/v1/attendance/monthly?month=2026-11{query}")))
            .bearer_auth(token(token_id))
            .send()
    };

    // Another unit's report: 403, also as CSV.
    for query in ["&unit=hrss", "&unit=hrss&format=csv"] {
        let response = report(query, "chief-tax").await.unwrap();
        assert_eq!(response.status().as_u16(), 403, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "forbidden");
    }
    let response = report("&unit=tax", "chief-hrss").await.unwrap();
    assert_eq!(response.status().as_u16(), 403);

    // Without unit=, a chief gets its own unit: S001 and S002 of tax.
    for query in ["", "&unit=tax"] {
        let body: Value = report(query, "chief-tax")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ids: Vec<&str> = body["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["S001", "S002"], "{query}");
    }
    // A chief files corrections only in the name of its own unit's staff,
    // and lists only its own unit's requests.
    let response = client
        .post(server.url("/api/v1/ratings/1/corrections"))
        .bearer_auth(token("chief-tax"))
        .json(&json!({"level": "satisfied", "reason": "误按", "requested_by": "S004"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let response = client
        .get(server.url("/api/v1/corrections?unit=hrss"))
        .bearer_auth(token("chief-tax"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let response = client
        .get(server.url("/api/v1/corrections?unit=tax"))
        .bearer_auth(token("chief-tax"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);

    // HR reads every unit, or one.
    let body: Value = report("", "hr-1").await.unwrap().json().await.unwrap();
    assert_eq!(body["people"].as_array().unwrap().len(), 3);
    let body: Value = report("&unit=hrss", "hr-1")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["people"][0]["id"], "S004");
}

#[tokio::test]
async fn tokenless_and_unknown_routes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&support::hall_config(dir.path()));
    let client = reqwest::Client::new();

    let health = client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);

    let missing = client
        .get(server.url("/api/v1/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");

    let wrong_method = client
        .delete(server.url("/api/v1/writeoffs"))
        .bearer_auth(token("bureau-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status().as_u16(), 405);
    assert!(wrong_method.headers().contains_key("allow"));
    let body: Value = wrong_method.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");

    // A 401 names the scheme to use.
    let response = client
        .get(server.url("/api/v1/audit"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"hallbox\""
    );
}

#[tokio::test]
async fn tokens_never_logged() {
    let dir = tempfile::tempdir().unwrap();
    let config = support::hall_config(dir.path());
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = Server::start_with(&config, Stdio::from(log), &[("HALLBOX_LOG", "trace")]);
    let client = reqwest::Client::new();
    let unknown = "hbx_unknown_token_that_must_not_be_logged_0000000000000000000000";

    for route in routes() {
        for header in [
            format!("Bearer {unknown}"),
            format!("Bearer {}", token("bureau-1")),
        ] {
            send(&client, &server, &route, Some(&header)).await;
        }
    }
    let writeoff = client
        .post(server.url("/api/v1/writeoffs"))
        .bearer_auth(token("bureau-1"))
        .json(&json!({
            "person": "S002", "kind": "business_trip", "from": "2026-11-02",
            "reason": "培训", "approved_by": "王监管"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(writeoff.status().as_u16(), 201);
    drop(server);

    let text = std::fs::read_to_string(&log_path).unwrap();
    // The log was written at trace level, so it has lines to search.
    assert!(text.contains("bureau-1"), "the log names the token id");
    assert!(!text.contains(unknown), "an unknown token is in the log");
    for test_token in TOKENS {
        assert!(
            !text.contains(test_token.token),
            "token {} is in the log",
            test_token.id
        );
    }
}

#[tokio::test]
async fn token_new_entry_works() {
    let output = support::run(&[
        "token",
        "new",
        "--role",
        "chief",
        "--unit",
        "hrss",
        "--id",
        "chief-hrss-2",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let secret = stdout
        .lines()
        .find(|line| line.starts_with("hbx_"))
        .expect("the token line")
        .to_string();
    assert_eq!(secret.len(), 68, "hbx_ and 64 hex digits");
    let entry = &stdout[stdout.find("[[token]]").expect("the entry")..];
    assert!(entry.contains("id = \"chief-hrss-2\""), "{entry}");
    assert!(entry.contains("unit = \"hrss\""), "{entry}");
    assert!(
        entry.contains(&hex::encode(hallbox::auth::hash_token(&secret))),
        "{entry}"
    );
    // The printed entry never contains the token.
    assert!(!entry.contains(&secret));

    let dir = tempfile::tempdir().unwrap();
    let config = support::hall_config(dir.path());
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push('\n');
    text.push_str(entry);
    std::fs::write(&config, text).unwrap();
    let server = Server::start(&config);
    let client = reqwest::Client::new();
    let body: Value = client
        .get(server.url("/api/v1/attendance/monthly?month=2026-11"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["people"][0]["id"], "S004", "{body}");

    // A chief token needs its unit, and other roles take none.
    let output = support::run(&["token", "new", "--role", "chief"]);
    assert!(!output.status.success());
    let output = support::run(&["token", "new", "--role", "hr", "--unit", "tax"]);
    assert!(!output.status.success());
}
