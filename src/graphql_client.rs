//! A small client for the public GraphQL API (the demo seeder and tests).

use anyhow::{bail, Context};
use serde_json::{json, Value};

#[derive(Clone)]
pub struct GraphqlClient {
    http: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl GraphqlClient {
    /// `base` is the gateway's base URL, e.g. `http://127.0.0.1:8080`.
    pub fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            url: format!("{}/graphql", base.trim_end_matches('/')),
            token: None,
        }
    }

    /// The same client, signed in with `token`.
    pub fn with_token(&self, token: impl Into<String>) -> Self {
        Self {
            token: Some(token.into()),
            ..self.clone()
        }
    }

    /// Sends a request and returns the whole response (`data` and `errors`).
    pub async fn raw(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        self.send(&json!({"query": query, "variables": variables})).await
    }

    /// Sends a request body of its own (`query`, `variables`, and
    /// `operationName` when the document holds several operations) and
    /// returns the whole response.
    pub async fn send(&self, body: &impl serde::Serialize) -> anyhow::Result<Value> {
        let mut req = self.http.post(&self.url).json(body);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.context("calling the gateway")?;
        res.json().await.context("reading the gateway's answer")
    }

    /// Sends a request; fails on any GraphQL error and returns `data`.
    pub async fn query(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let v = self.raw(query, variables).await?;
        if let Some(errors) = v.get("errors").filter(|e| e.as_array().is_some_and(|a| !a.is_empty())) {
            bail!("GraphQL errors: {errors}");
        }
        Ok(v["data"].clone())
    }

    /// Runs a mutation and returns its payload (the field `name` of `data`);
    /// fails on GraphQL errors but not on `userErrors`.
    pub async fn mutate(&self, name: &str, query: &str, variables: Value) -> anyhow::Result<Value> {
        let data = self.query(query, variables).await?;
        Ok(data[name].clone())
    }
}

/// The first user error's code in a payload, if any.
pub fn user_error_code(payload: &Value) -> Option<String> {
    payload["userErrors"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(|e| e["code"].as_str())
        .map(str::to_string)
}
