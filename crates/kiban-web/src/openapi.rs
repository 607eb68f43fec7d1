//! The OpenAPI 3.1 document of the JSON API, built from one table of
//! operations. A test checks that every operation in the table is answered
//! by the router, and the document is snapshotted so that a change to the
//! promise made to other systems is reviewed.

use axum::Json;
use serde_json::{Value, json};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (health, login, certificate verification).
    Public,
    /// Any authenticated staff member (operators are refused).
    Staff,
    /// Any authenticated principal, staff or operator.
    Authenticated,
}

/// One operation of the API.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// HTTP method, lower case.
    pub method: &'static str,
    /// Path template with `{param}` segments.
    pub path: &'static str,
    /// Stable operation id.
    pub id: &'static str,
    /// Summary (Japanese).
    pub summary: &'static str,
    /// Tag.
    pub tag: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Success status.
    pub success: u16,
}

/// Every operation of the API, in the order of the contract.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        method: "get",
        path: "/healthz",
        id: "healthz",
        summary: "稼働確認（データベースの応答）",
        tag: "platform",
        access: Access::Public,
        success: 200,
    },
    Operation {
        method: "get",
        path: "/metrics",
        id: "metrics",
        summary: "Prometheus 形式のメトリクス",
        tag: "platform",
        access: Access::Public,
        success: 200,
    },
    Operation {
        method: "post",
        path: "/api/v1/sessions",
        id: "createSession",
        summary: "ログインしてAPIトークンを得る",
        tag: "sessions",
        access: Access::Public,
        success: 201,
    },
    Operation {
        method: "delete",
        path: "/api/v1/sessions/current",
        id: "deleteCurrentSession",
        summary: "使用中のトークンを失効させる（ログアウト）",
        tag: "sessions",
        access: Access::Authenticated,
        success: 204,
    },
    Operation {
        method: "post",
        path: "/api/v1/calc/{kind}",
        id: "calculate",
        summary: "計算（税額・保険税・日付・検査数字）",
        tag: "calc",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/movements",
        id: "recordMovement",
        summary: "異動（転入・出生・転居・転出・死亡・世帯分離・職権修正）を記録する",
        tag: "registry",
        access: Access::Staff,
        success: 201,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/persons",
        id: "searchPersons",
        summary: "住民を検索する（フリガナ・生年月日・基準日）",
        tag: "registry",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/follow-up/missing-residence-status",
        id: "listMissingResidenceStatus",
        summary: "移行後要確認（在留資格未設定）の住民を一覧する",
        tag: "registry",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/persons/{person_id}",
        id: "getPerson",
        summary: "基準日時点の住民票（除票）を読む",
        tag: "registry",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/persons/{person_id}/history",
        id: "getPersonHistory",
        summary: "住民の異動履歴を読む",
        tag: "registry",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/households/{household_id}",
        id: "getHousehold",
        summary: "基準日時点の世帯と世帯員を読む",
        tag: "registry",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/persons/{person_id}/access-log",
        id: "getPersonAccessLog",
        summary: "住民の個人情報へのアクセス記録を読む（監査担当・団体管理者）",
        tag: "audit",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/persons/{person_id}/support-measures",
        id: "listSupportMeasures",
        summary: "住民の支援措置（DV・ストーカー等）の一覧",
        tag: "protection",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/persons/{person_id}/support-measures",
        id: "recordSupportMeasure",
        summary: "支援措置を記録する（期間は原則1年）",
        tag: "protection",
        access: Access::Staff,
        success: 201,
    },
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/support-measures/{measure_id}/end",
        id: "endSupportMeasure",
        summary: "支援措置を期間の途中で終了する（記録は残る）",
        tag: "protection",
        access: Access::Staff,
        success: 200,
    },
    // Certificates (証明書) and seal registration (印鑑登録).
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/certificates",
        id: "issueCertificate",
        summary: "証明書（住民票の写し・除票の写し・記載事項証明書・印鑑登録証明書）を交付する（PDF）",
        tag: "certificates",
        access: Access::Staff,
        success: 201,
    },
    Operation {
        method: "get",
        path: "/api/v1/certificates/verify/{code}",
        id: "verifyCertificate",
        summary: "検証コードで証明書の真正性を確認する（個人情報は返さない）",
        tag: "certificates",
        access: Access::Public,
        success: 200,
    },
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/seal-registrations",
        id: "registerSeal",
        summary: "印鑑登録を申請する（即日登録・照会書）",
        tag: "seal",
        access: Access::Staff,
        success: 201,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/seal-registrations/{id}",
        id: "getSealRegistration",
        summary: "印鑑登録の状態と履歴を読む",
        tag: "seal",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/seal-registrations/{id}/reply",
        id: "replySealInquiry",
        summary: "照会書の回答書を受理して登録する",
        tag: "seal",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/seal-registrations/{id}/card-reissue",
        id: "reissueSealCard",
        summary: "印鑑登録証を再交付する（亡失）。旧番号は無効になる",
        tag: "seal",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/seal-registrations/{id}/abolish",
        id: "abolishSealRegistration",
        summary: "印鑑登録を廃止する（申請）",
        tag: "seal",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/seal-restoration-reviews",
        id: "listSealRestorationReviews",
        summary: "転出・死亡の取消しにより復活確認待ちとなった印鑑登録の一覧",
        tag: "seal",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/seal-registrations/{id}/restore",
        id: "restoreSealRegistration",
        summary: "復活確認待ちの印鑑登録を復活する（理由が必須。廃止前の登録証が有効に戻る）",
        tag: "seal",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/seal-registrations/{id}/confirm-abolition",
        id: "confirmSealAbolition",
        summary: "復活確認待ちの印鑑登録の廃止を確定する（理由が必須）",
        tag: "seal",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/seal-adult-wards",
        id: "recordSealAdultWard",
        summary: "成年被後見人の届出を記録する（登録中の印鑑は職権廃止）",
        tag: "seal",
        access: Access::Staff,
        success: 201,
    },
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/persons/{person_id}/individual-number/reveal",
        id: "revealIndividualNumber",
        summary: "個人番号を表示する（利用目的の入力が必須。表示は利用履歴に記録）",
        tag: "registry",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/jobs/kinds",
        id: "listJobKinds",
        summary: "実行できるジョブの種類とパラメータを読む",
        tag: "jobs",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/jobs",
        id: "submitJob",
        summary: "ジョブの実行を依頼する（受付のみ。実行はワーカー）",
        tag: "jobs",
        access: Access::Staff,
        success: 202,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/jobs",
        id: "listJobs",
        summary: "ジョブの実行の一覧（新しい順、status・job で絞り込み）",
        tag: "jobs",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/jobs/plan",
        id: "getJobPlan",
        summary: "バッチ計画（年間・月間・日次）を読む",
        tag: "jobs",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "put",
        path: "/api/v1/municipalities/{m}/jobs/plan",
        id: "putJobPlan",
        summary: "バッチ計画を置き換える（全件を検査し、誤りがあれば変更しない）",
        tag: "jobs",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/jobs/{job_id}",
        id: "getJob",
        summary: "ジョブの状態・進捗・出力・対象ごとのエラーを読む",
        tag: "jobs",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/jobs/{job_id}/outputs/{name}",
        id: "getJobOutput",
        summary: "ジョブの出力ファイルを取得する（利用履歴に記録）",
        tag: "jobs",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/jobs/{job_id}/cancel",
        id: "cancelJob",
        summary: "ジョブを取り消す（処理中の分割が終わった後）",
        tag: "jobs",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/outbox/consumers",
        id: "listOutboxConsumers",
        summary: "庁内連携の連携先ごとの処理位置を読む",
        tag: "outbox",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/municipalities/{m}/outbox/dead-letters",
        id: "listOutboxDeadLetters",
        summary: "庁内連携で処理できなかったイベントの一覧",
        tag: "outbox",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/outbox/dead-letters/{consumer}/{event_id}/retry",
        id: "retryOutboxDeadLetter",
        summary: "保留中のイベントを再処理する",
        tag: "outbox",
        access: Access::Staff,
        success: 200,
    },
    Operation {
        method: "post",
        path: "/api/v1/municipalities/{m}/outbox/dead-letters/{consumer}/{event_id}/dismiss",
        id: "dismissOutboxDeadLetter",
        summary: "保留中のイベントを対応不要にする",
        tag: "outbox",
        access: Access::Staff,
        success: 200,
    },
];

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable snake_case code"},
                "message": {"type": "string", "description": "日本語の説明"},
                "field": {"type": "string", "description": "JSON path of the field at fault"}
            }
        }}
    })
}

/// The error statuses an operation answers beyond those of its access and
/// path: 409 when the record's state refuses the request, 429 when a rate
/// limit applies, 503 when a value to seal or open needs the master key
/// (or, for the health check, when the database does not answer).
fn extra_errors(id: &str) -> &'static [u16] {
    match id {
        "healthz" => &[503],
        "createSession" => &[401, 429, 503],
        "recordMovement" | "revealIndividualNumber" => &[409, 503],
        "endSupportMeasure"
        | "issueCertificate"
        | "registerSeal"
        | "replySealInquiry"
        | "reissueSealCard"
        | "abolishSealRegistration"
        | "restoreSealRegistration"
        | "confirmSealAbolition"
        | "recordSealAdultWard"
        | "retryOutboxDeadLetter"
        | "dismissOutboxDeadLetter" => &[409],
        "verifyCertificate" => &[429],
        _ => &[],
    }
}

fn operation(op: &Operation) -> Value {
    let mut responses = serde_json::Map::new();
    responses.insert(op.success.to_string(), json!({"description": "成功"}));
    let mut errors = vec![400, 422];
    match op.access {
        Access::Public => {}
        Access::Staff => errors.extend([401, 403]),
        Access::Authenticated => errors.push(401),
    }
    if op.path.contains('{') {
        errors.push(404);
    }
    errors.extend(extra_errors(op.id));
    errors.sort_unstable();
    errors.dedup();
    for status in errors {
        if op.id == "healthz" && status == 503 {
            // The health check answers `{"status": "unavailable"}`.
            responses.insert(
                status.to_string(),
                json!({"description": "データベースが応答しない", "content": {"application/json": {"schema": {"type": "object"}}}}),
            );
            continue;
        }
        responses.insert(
            status.to_string(),
            json!({"description": "エラー", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
        );
    }
    let parameters: Vec<Value> = op
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    let mut value = json!({
        "operationId": op.id,
        "summary": op.summary,
        "tags": [op.tag],
        "responses": responses,
    });
    if let Some(obj) = value.as_object_mut() {
        if !parameters.is_empty() {
            obj.insert("parameters".into(), Value::Array(parameters));
        }
        if op.access != Access::Public {
            obj.insert("security".into(), json!([{"bearer": []}]));
        }
        if op.method == "post" || op.method == "put" {
            obj.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": {"type": "object"}}}}),
            );
        }
    }
    value
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for op in OPERATIONS {
        let entry = paths
            .entry(op.path.to_owned())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Some(obj) = entry.as_object_mut() {
            obj.insert(op.method.to_owned(), operation(op));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Kiban API",
            "version": "1",
            "description": "自治体基幹業務システム Kiban の JSON API（v1）。"
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": error_schema()}
        }
    })
}

/// `GET /api/openapi.json`.
pub async fn serve() -> Json<Value> {
    Json(document())
}
