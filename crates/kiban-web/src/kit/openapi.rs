//! The one table of the JSON API's operations, and the OpenAPI 3.1 document
//! built from it.
//!
//! Each business's API module exports `operations()`: a list of [`Route`]s,
//! each an [`Operation`] (method, path, operation id, Japanese summary, tag,
//! who may call it, request body and query types, success status and
//! response type, the error statuses it answers) with its handler. The
//! router (`crate::router`) is folded from that list, the document below is
//! built from the same list, and the route matrix test iterates
//! [`operations`] (the table without its handlers). Request and response
//! bodies are Rust wire types deriving `utoipa::ToSchema`; their schemas go
//! under `components/schemas` and operations refer to them with `$ref`.

use std::collections::BTreeMap;

use axum::Json;
use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter};
use kiban_auth::Permission;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (health, login, certificate verification).
    Public,
    /// Any authenticated principal, staff or operator.
    Authenticated,
    /// Any staff member whose role has the permission, whatever the
    /// municipality (no tenant in the path); operators are refused.
    Staff(Permission),
    /// A tenant path (`/municipalities/{m}/…`): staff of that municipality
    /// whose role has the permission; another municipality's staff get 404,
    /// operators 403, and every refusal is logged.
    Tenant(Permission),
}

/// The schemas of `components/schemas`, by name.
pub(crate) type Schemas = BTreeMap<String, Value>;

/// Registers a body's schema (and those it refers to) and answers the
/// schema to put in place (a `$ref`, or an inline schema).
pub(crate) type SchemaFn = fn(&mut Schemas) -> Value;

/// The query parameters of an operation, as OpenAPI parameter objects.
pub(crate) type ParamsFn = fn() -> Vec<Value>;

/// What a successful response carries.
#[derive(Clone, Copy)]
pub(crate) enum Reply {
    /// A JSON body of the schema.
    Json(SchemaFn),
    /// No body.
    Empty,
    /// A file of one of these media types (a PDF, a CSV), and what it is.
    File(&'static [&'static str], &'static str),
    /// Text of one media type (Prometheus metrics).
    Text(&'static str),
}

/// One operation of the API, as the table declares it.
#[derive(Clone)]
pub struct Operation {
    /// HTTP method, lower case.
    pub method: &'static str,
    /// Path template with `{param}` segments.
    pub path: &'static str,
    /// Stable operation id.
    pub id: &'static str,
    /// Summary (Japanese).
    pub summary: &'static str,
    /// Tag (the business).
    pub tag: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Success status.
    pub success: u16,
    /// Error statuses it answers beyond those of its access and body (see
    /// [`Operation::error_statuses`]).
    pub errors: &'static [u16],
    /// Under the rate limit of the public verification.
    pub rate_limited: bool,
    /// The name the access log records a refused call under (the
    /// operation id when not given).
    pub logged_as: &'static str,
    /// The OAuth 2.0 scopes that let a system client call a tenant
    /// operation (any one of them suffices); none refuses clients.
    pub scopes: Vec<&'static str>,
    /// The media type of the request body (`application/json`, or
    /// `application/x-www-form-urlencoded` for the OAuth endpoints).
    pub request_media: &'static str,
    /// The schema of the error bodies, when not the API's own `Error`
    /// (the OAuth endpoints answer RFC 6749's `{"error",
    /// "error_description"}`).
    pub(crate) error_body: Option<SchemaFn>,
    pub(crate) request: Option<SchemaFn>,
    pub(crate) query: Option<ParamsFn>,
    pub(crate) reply: Reply,
}

/// An operation with its handler: what a business module exports.
pub(crate) struct Route {
    pub(crate) operation: Operation,
    pub(crate) handler: MethodRouter<AppState>,
}

/// The `$ref` of a wire type, registering its schema and those it uses.
pub(crate) fn schema_ref<T: ToSchema>(schemas: &mut Schemas) -> Value {
    let name = T::name().into_owned();
    let mut all = Vec::new();
    T::schemas(&mut all);
    all.push((name.clone(), T::schema()));
    for (n, schema) in all {
        schemas
            .entry(n)
            .or_insert_with(|| serde_json::to_value(&schema).unwrap_or(Value::Null));
    }
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The query parameters of a type deriving `IntoParams`.
pub(crate) fn query_params<T: IntoParams>() -> Vec<Value> {
    T::into_params(|| Some(utoipa::openapi::path::ParameterIn::Query))
        .iter()
        .map(|p| serde_json::to_value(p).unwrap_or(Value::Null))
        .collect()
}

impl Operation {
    /// An operation answering `success` with no body yet declared; chain
    /// the builders below, then [`Operation::to`] its handler.
    pub(crate) fn new(
        method: &'static str,
        path: &'static str,
        id: &'static str,
        summary: &'static str,
        tag: &'static str,
        access: Access,
    ) -> Self {
        Self {
            method,
            path,
            id,
            summary,
            tag,
            access,
            success: 200,
            errors: &[],
            rate_limited: false,
            logged_as: id,
            scopes: Vec::new(),
            request_media: "application/json",
            error_body: None,
            request: None,
            query: None,
            reply: Reply::Empty,
        }
    }

    /// The JSON request body.
    pub(crate) fn body<T: ToSchema>(mut self) -> Self {
        self.request = Some(schema_ref::<T>);
        self
    }

    /// A JSON request body described by a schema of its own (a body whose
    /// shape depends on the path, as a calculation's).
    pub(crate) fn body_schema(mut self, schema: SchemaFn) -> Self {
        self.request = Some(schema);
        self
    }

    /// A form body (`application/x-www-form-urlencoded`) described by
    /// `T`'s schema.
    pub(crate) fn form<T: ToSchema>(mut self) -> Self {
        self.request = Some(schema_ref::<T>);
        self.request_media = "application/x-www-form-urlencoded";
        self
    }

    /// A request body of text of one media type (`text/csv`), read by the
    /// handler itself.
    pub(crate) fn text_body(mut self, media: &'static str) -> Self {
        self.request = Some(text_schema);
        self.request_media = media;
        self
    }

    /// Error bodies of `T`'s schema instead of the API's own `Error`.
    pub(crate) fn error_body<T: ToSchema>(mut self) -> Self {
        self.error_body = Some(schema_ref::<T>);
        self
    }

    /// A scope that lets a system client call the operation (repeat for
    /// several; any one suffices). Operations without one refuse clients.
    pub(crate) fn scope(mut self, scope: &'static str) -> Self {
        self.scopes.push(scope);
        self
    }

    /// The query parameters.
    pub(crate) fn query<T: IntoParams>(mut self) -> Self {
        self.query = Some(query_params::<T>);
        self
    }

    /// Answers `status` with a JSON body of `T`.
    pub(crate) fn json<T: ToSchema>(mut self, status: u16) -> Self {
        self.success = status;
        self.reply = Reply::Json(schema_ref::<T>);
        self
    }

    /// Answers `status` with another kind of body (or none).
    pub(crate) fn reply(mut self, status: u16, reply: Reply) -> Self {
        self.success = status;
        self.reply = reply;
        self
    }

    /// The error statuses beyond those of its access and body.
    pub(crate) fn errors(mut self, statuses: &'static [u16]) -> Self {
        self.errors = statuses;
        self
    }

    /// Puts the operation under the public verification's rate limit.
    pub(crate) fn rate_limited(mut self) -> Self {
        self.rate_limited = true;
        self
    }

    /// The name the access log records a refused call under.
    pub(crate) fn logged_as(mut self, name: &'static str) -> Self {
        self.logged_as = name;
        self
    }

    /// The operation with its handler, answering only its method.
    pub(crate) fn to<H, T>(self, handler: H) -> Route
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = match self.method {
            "post" => MethodFilter::POST,
            "put" => MethodFilter::PUT,
            "delete" => MethodFilter::DELETE,
            _ => MethodFilter::GET,
        };
        Route {
            operation: self,
            handler: axum::routing::on(filter, handler),
        }
    }

    /// Every error status the operation can answer: 401/403/404 from its
    /// access (404 too for an unknown id in the path), 400 and 422 for a
    /// JSON body (malformed JSON, a field at fault), 400 and 422 for query
    /// parameters (unreadable, a value at fault), and those it declares.
    pub fn error_statuses(&self) -> Vec<u16> {
        let mut errors: Vec<u16> = self.errors.to_vec();
        match self.access {
            Access::Public => {}
            Access::Authenticated => errors.push(401),
            Access::Staff(_) => errors.extend([401, 403]),
            Access::Tenant(_) => errors.extend([401, 403, 404]),
        }
        if self.request.is_some() {
            errors.push(400);
            if self.request_media == "application/json" {
                errors.push(422);
            }
        }
        if self.query.is_some() {
            errors.extend([400, 422]);
        }
        if self.rate_limited {
            errors.push(429);
        }
        errors.sort_unstable();
        errors.dedup();
        errors
    }

    fn describe(&self, schemas: &mut Schemas) -> Value {
        let mut responses = serde_json::Map::new();
        let success = match self.reply {
            Reply::Json(schema) => json!({
                "description": "成功",
                "content": {"application/json": {"schema": schema(schemas)}},
            }),
            Reply::Empty => json!({"description": "成功（本文なし）"}),
            Reply::File(media, description) => {
                let content: serde_json::Map<String, Value> = media
                    .iter()
                    .map(|m| {
                        (
                            (*m).to_owned(),
                            json!({"schema": {"type": "string", "format": "binary"}}),
                        )
                    })
                    .collect();
                json!({"description": description, "content": content})
            }
            Reply::Text(media) => json!({
                "description": "成功",
                "content": {media: {"schema": {"type": "string"}}},
            }),
        };
        responses.insert(self.success.to_string(), success);
        let error = match self.error_body {
            Some(schema) => schema(schemas),
            None => schema_ref::<ErrorBody>(schemas),
        };
        for status in self.error_statuses() {
            // The health check answers 503 with its own body.
            if self.id == "healthz" && status == 503 {
                responses.insert(
                    "503".into(),
                    json!({"description": "データベースが応答しない",
                           "content": {"application/json": {"schema": schema_ref::<crate::api::Health>(schemas)}}}),
                );
                continue;
            }
            let description = if self.error_body.is_some() {
                oauth_error_description(status)
            } else {
                error_description(status)
            };
            responses.insert(
                status.to_string(),
                json!({
                    "description": description,
                    "content": {"application/json": {"schema": error}},
                }),
            );
        }
        let mut parameters: Vec<Value> = self
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(path_parameter)
            .collect();
        if let Some(query) = self.query {
            parameters.extend(query());
        }
        let mut value = json!({
            "operationId": self.id,
            "summary": self.summary,
            "tags": [self.tag],
            "responses": responses,
        });
        if let Some(obj) = value.as_object_mut() {
            if !parameters.is_empty() {
                obj.insert("parameters".into(), Value::Array(parameters));
            }
            if self.access != Access::Public {
                let mut security = vec![json!({"bearer": []})];
                if !self.scopes.is_empty() {
                    security.push(json!({"oauth2": self.scopes}));
                }
                obj.insert("security".into(), Value::Array(security));
            }
            if let Some(schema) = self.request {
                obj.insert(
                    "requestBody".into(),
                    json!({"required": true, "content": {self.request_media: {"schema": schema(schemas)}}}),
                );
            }
        }
        value
    }
}

/// The schema of a text body.
fn text_schema(_: &mut Schemas) -> Value {
    json!({"type": "string"})
}

/// The error statuses of the OAuth endpoints (RFC 6749 §5.2).
fn oauth_error_description(status: u16) -> &'static str {
    match status {
        400 => "要求の誤り（invalid_request・invalid_scope・unsupported_grant_type）",
        401 => "クライアント認証の失敗（invalid_client）",
        _ => error_description(status),
    }
}

fn error_description(status: u16) -> &'static str {
    match status {
        400 => "本文がJSONとして、またはクエリ文字列として読めない",
        401 => "認証が必要（トークンがない・無効）",
        403 => "権限がない（操作は利用履歴に記録）",
        404 => "見つからない（他団体のパス・IDも同じ）",
        409 => "現在の状態と矛盾する",
        422 => "入力の誤り（field が項目を示す）",
        429 => "試行・照会が多すぎる",
        503 => "マスター鍵が設定されていない",
        _ => "エラー",
    }
}

/// The parameter object of a path segment `{name}`.
fn path_parameter(name: &str) -> Value {
    let (schema, description) = match name {
        "m" => (
            json!({"type": "string", "example": "990019"}),
            "団体コード（6桁）",
        ),
        "person_id" => (
            json!({"type": "integer", "format": "int64", "minimum": 1, "example": 1}),
            "宛名番号",
        ),
        "household_id" => (
            json!({"type": "integer", "format": "int64", "minimum": 1, "example": 1}),
            "世帯番号",
        ),
        "fiscal_year" => (
            json!({"type": "integer", "format": "int32", "minimum": 1, "example": 2026}),
            "年度（西暦）",
        ),
        "measure_id" | "id" | "job_id" | "event_id" | "webhook_id" | "record_id" => (
            json!({"type": "integer", "format": "int64", "minimum": 1, "example": 1}),
            "番号",
        ),
        "kind" => (json!({"type": "string", "example": "wareki"}), "計算の種類"),
        "code" => (
            json!({"type": "string", "example": "0000000000000000"}),
            "検証コード",
        ),
        "name" => (
            json!({"type": "string", "example": "population.csv"}),
            "出力ファイル名",
        ),
        "consumer" => (
            json!({"type": "string", "example": "seal_registration"}),
            "連携先",
        ),
        _ => (json!({"type": "string"}), ""),
    };
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": schema})
}

/// The common error body: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Error, example = json!({"error": {"code": "missing_field", "message": "event_date は必須です", "field": "event_date"}}))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error of an [`ErrorBody`].
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetail {
    /// Stable snake_case code.
    #[schema(example = "not_found")]
    pub code: String,
    /// 日本語の説明.
    #[schema(example = "見つかりません")]
    pub message: String,
    /// The JSON path of the field at fault (`persons[0].name_kana`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "persons[0].name_kana")]
    pub field: Option<String>,
}

/// The operations of `GET /api/openapi.json` itself.
pub(crate) fn own_operations() -> Vec<Route> {
    vec![
        Operation::new(
            "get",
            "/api/openapi.json",
            "getOpenApiDocument",
            "この API の OpenAPI 3.1 文書",
            "platform",
            Access::Public,
        )
        .reply(200, Reply::Json(any_object))
        .to(serve),
    ]
}

/// An object of any shape (a calculation's input and result, this document).
pub(crate) fn any_object(_: &mut Schemas) -> Value {
    json!({"type": "object"})
}

/// Every route of the API, business by business.
pub(crate) fn routes() -> Vec<Route> {
    let mut all = crate::api::operations();
    all.extend(crate::metrics_layer::operations());
    all.extend(own_operations());
    all.extend(crate::registry_api::operations());
    all.extend(crate::protection_api::operations());
    all.extend(crate::individual_number_api::operations());
    all.extend(crate::certificate_api::operations());
    all.extend(crate::seal_api::operations());
    all.extend(crate::addressee::api::operations());
    all.extend(crate::resident_tax::income_api::operations());
    all.extend(crate::jobs_api::operations());
    all.extend(crate::oauth_api::operations());
    all.extend(crate::linkage_api::operations());
    all.extend(crate::resident_tax::assessment_api::operations());
    all.extend(crate::collection::api::operations());
    all
}

/// Every operation of the API (the table without its handlers), for the
/// route matrix test and the document.
pub fn operations() -> Vec<Operation> {
    routes().into_iter().map(|r| r.operation).collect()
}

/// The whole document.
pub fn document() -> Value {
    let mut schemas = Schemas::new();
    let mut paths = serde_json::Map::new();
    let mut scopes = serde_json::Map::new();
    for op in operations() {
        for scope in &op.scopes {
            scopes.insert((*scope).to_owned(), Value::String(scope_description(scope)));
        }
        let described = op.describe(&mut schemas);
        let entry = paths
            .entry(op.path.to_owned())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Some(obj) = entry.as_object_mut() {
            obj.insert(op.method.to_owned(), described);
        }
    }
    let schemas: serde_json::Map<String, Value> = schemas.into_iter().collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Kiban API",
            "version": "1",
            "description": "自治体基幹業務システム Kiban の JSON API（v1）。"
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "oauth2": {
                    "type": "oauth2",
                    "description": "システム連携クライアント（OAuth 2.0 クライアントクレデンシャル。クライアント認証は client_secret_basic または client_secret_jwt）",
                    "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": scopes}}
                }
            },
            "schemas": schemas
        }
    })
}

/// The description of a scope in the document: its three parts named.
fn scope_description(scope: &str) -> String {
    let mut parts = scope.split(':');
    let (business, resource, operation) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    format!("業務 {business} の {resource} を {operation}")
}

/// `GET /api/openapi.json`.
pub async fn serve() -> Json<Value> {
    Json(document())
}
