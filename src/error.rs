//! The one error type of the HTTP API, mapped to upstream's status codes and plain-text bodies.
//!
//! Business outcomes (`EMAIL_ALREADY_EXISTS_ERROR`, ...) are not errors: they are 200 answers
//! with a `status` field. What lands here is a request the core refuses to serve.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with the message as the body.
    #[error("{0}")]
    BadRequest(String),
    #[error("Invalid API key")]
    Unauthorised,
    /// 402: a paid feature without a licence that grants it.
    #[error("{0}")]
    PaymentRequired(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("Not found")]
    NotFound,
    #[error("Method not supported")]
    MethodNotAllowed,
    /// Anything the client could not have caused. The cause is logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorised => StatusCode::UNAUTHORIZED,
            Self::PaymentRequired(_) => StatusCode::PAYMENT_REQUIRED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = match self {
            Self::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "internal error");
                "Internal Error".to_string()
            }
            other => other.to_string(),
        };
        // Upstream ends every text answer with a newline, and the SDKs copy the body into
        // the messages applications see.
        let body = body + "\n";
        HttpResponse::build(self.status_code())
            .content_type("text/plain; charset=utf-8")
            .body(body)
    }
}
