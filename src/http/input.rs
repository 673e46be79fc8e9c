//! Reading request bodies and query strings field by field, with upstream's 400 texts.
//!
//! Fields are read one at a time rather than through a derived struct so that every failure
//! names its field in the exact words the SDKs and upstream's tests expect.

use serde_json::{Map, Value};

use crate::db::limits::{check_stored_field, Unstorable};
use crate::error::ApiError;

/// A field of an update: absent keeps the stored value, `null` resets it, or a new value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update<T> {
    Keep,
    Reset,
    Set(T),
}

impl<T> Update<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Update<U> {
        match self {
            Update::Keep => Update::Keep,
            Update::Reset => Update::Reset,
            Update::Set(value) => Update::Set(f(value)),
        }
    }
}

impl<T: Clone> Update<T> {
    /// The value after this update of `current`.
    pub fn new_value(&self, current: &Option<T>) -> Option<T> {
        match self {
            Update::Keep => current.clone(),
            Update::Reset => None,
            Update::Set(value) => Some(value.clone()),
        }
    }
}

/// A request body that parsed as a JSON object.
#[derive(Debug)]
pub struct JsonInput(Map<String, Value>);

impl JsonInput {
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        match serde_json::from_slice(body) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            _ => Err(ApiError::bad_request("Invalid Json Input")),
        }
    }

    /// A string field that must be present.
    pub fn str(&self, field: &str) -> Result<String, ApiError> {
        self.opt_str(field)?.ok_or_else(|| invalid_field(field))
    }

    /// A string field that may be absent (JSON `null` is still refused, as upstream does).
    pub fn opt_str(&self, field: &str) -> Result<Option<String>, ApiError> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::String(text)) => checked(field, text).map(Some),
            Some(_) => Err(invalid_field(field)),
        }
    }

    /// A boolean field that must be present.
    pub fn bool(&self, field: &str) -> Result<bool, ApiError> {
        self.opt_bool(field)?.ok_or_else(|| invalid_field(field))
    }

    /// An object field that may be absent.
    pub fn opt_object(&self, field: &str) -> Result<Option<Map<String, Value>>, ApiError> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::Object(object)) => Ok(Some(object.clone())),
            Some(_) => Err(invalid_field(field)),
        }
    }

    /// Whether `field` is given as `null`.
    pub fn is_null(&self, field: &str) -> bool {
        self.0.get(field).is_some_and(Value::is_null)
    }

    /// Whether the body has `field`, whatever its value (`null` included).
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// A string in an update: absent, `null` or a string.
    pub fn str_update(&self, field: &str) -> Result<Update<String>, ApiError> {
        match self.0.get(field) {
            None => Ok(Update::Keep),
            Some(Value::Null) => Ok(Update::Reset),
            Some(_) => Ok(Update::Set(self.str(field)?)),
        }
    }

    /// An array of strings in an update: absent, `null` or a list.
    pub fn str_array_update(&self, field: &str) -> Result<Update<Vec<String>>, ApiError> {
        match self.0.get(field) {
            None => Ok(Update::Keep),
            Some(Value::Null) => Ok(Update::Reset),
            Some(_) => Ok(Update::Set(self.opt_str_array(field)?.unwrap_or_default())),
        }
    }

    /// An object field, whose fields are read in turn.
    pub fn nested(&self, field: &str) -> Result<JsonInput, ApiError> {
        self.object(field).map(JsonInput)
    }

    /// A string field whose value is stored where `stored_as` values are (a nested field with
    /// another name, such as the `id` of ThirdParty's `email` object).
    pub fn str_stored_as(&self, field: &str, stored_as: &str) -> Result<String, ApiError> {
        match self.0.get(field) {
            Some(Value::String(text)) => checked(stored_as, text),
            _ => Err(invalid_field(field)),
        }
    }

    /// Whether the body is `{}`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A boolean field that may be absent.
    pub fn opt_bool(&self, field: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(_) => Err(invalid_field(field)),
        }
    }

    /// A whole-number field that must be present.
    pub fn i64(&self, field: &str) -> Result<i64, ApiError> {
        self.opt_i64(field)?.ok_or_else(|| invalid_field(field))
    }

    /// A whole-number field that may be absent.
    pub fn opt_i64(&self, field: &str) -> Result<Option<i64>, ApiError> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::Number(number)) => number
                .as_i64()
                .map(Some)
                .ok_or_else(|| invalid_field(field)),
            Some(_) => Err(invalid_field(field)),
        }
    }

    /// An object field that must be present.
    pub fn object(&self, field: &str) -> Result<Map<String, Value>, ApiError> {
        match self.0.get(field) {
            Some(Value::Object(object)) => Ok(object.clone()),
            _ => Err(invalid_field(field)),
        }
    }

    /// An array of strings that may be absent.
    pub fn opt_str_array(&self, field: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => checked(field, text),
                    _ => Err(invalid_field(field)),
                })
                .collect::<Result<_, _>>()
                .map(Some),
            Some(_) => Err(invalid_field(field)),
        }
    }
}

/// Every string of a request passes here on its way in: values the storage cannot keep are
/// refused with a 400 naming the field (upstream fails them with a 500 on PostgreSQL).
fn checked(field: &str, value: &str) -> Result<String, ApiError> {
    match check_stored_field(field, value) {
        Ok(()) => Ok(value.to_string()),
        Err(Unstorable::Nul) => Err(ApiError::bad_request(format!(
            "Field name '{field}' must not contain the NUL character"
        ))),
        Err(Unstorable::TooLong(max)) => Err(ApiError::bad_request(format!(
            "Field name '{field}' must be at most {max} characters"
        ))),
    }
}

pub fn invalid_field(field: &str) -> ApiError {
    ApiError::bad_request(format!("Field name '{field}' is invalid in JSON input"))
}

pub fn missing_query_param(name: &str) -> ApiError {
    ApiError::bad_request(format!("Field name '{name}' is missing in GET request"))
}

/// A query parameter read as a 32-bit number (upstream's "int").
pub fn parse_int(name: &str, value: &str) -> Result<i64, ApiError> {
    value.parse::<i32>().map(i64::from).map_err(|_| {
        ApiError::bad_request(format!(
            "Field name '{name}' must be an int in the GET request"
        ))
    })
}

/// A query parameter read as a 64-bit number (upstream's "long").
pub fn parse_long(name: &str, value: &str) -> Result<i64, ApiError> {
    value.parse::<i64>().map_err(|_| {
        ApiError::bad_request(format!(
            "Field name '{name}' must be a long in the GET request"
        ))
    })
}

/// The first value of `name` in a query string.
pub fn query_param(query: &str, name: &str) -> Result<Option<String>, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| ApiError::bad_request("Invalid query string"))?;
    pairs
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| checked(name, &value))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(error: ApiError) -> String {
        error.to_string()
    }

    #[test]
    fn refuses_bodies_that_are_not_objects() {
        for body in ["", "{", "[]", "\"text\"", "12", "null"] {
            let error = JsonInput::parse(body.as_bytes()).unwrap_err();
            assert_eq!(message(error), "Invalid Json Input", "body {body:?}");
        }
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        let input =
            JsonInput::parse(br#"{"email": 5, "name": "x", "flag": "true", "n": 1.5}"#).unwrap();
        assert_eq!(
            message(input.str("email").unwrap_err()),
            "Field name 'email' is invalid in JSON input"
        );
        assert_eq!(
            message(input.str("missing").unwrap_err()),
            "Field name 'missing' is invalid in JSON input"
        );
        assert_eq!(input.str("name").unwrap(), "x");
        assert_eq!(input.opt_str("missing").unwrap(), None);
        assert!(input.opt_bool("flag").is_err());
        assert!(input.opt_i64("n").is_err());
        assert!(input.object("name").is_err());
    }

    #[test]
    fn reads_query_parameters() {
        assert_eq!(
            query_param("a=1&b=x%40y.com&a=2", "b").unwrap().as_deref(),
            Some("x@y.com")
        );
        assert_eq!(query_param("a=1&a=2", "a").unwrap().as_deref(), Some("1"));
        assert_eq!(query_param("", "a").unwrap(), None);
        assert_eq!(
            message(missing_query_param("userId")),
            "Field name 'userId' is missing in GET request"
        );
    }
}
