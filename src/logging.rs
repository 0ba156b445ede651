//! Logs: `env_logger` to stderr, human-readable by default, JSON lines with
//! `CNFS_LOG_FORMAT=json`; and the access line, one per request.
//!
//! The access line says who asked what and how it went: request id, method, route template
//! (`/api/v1/conventions/{id}`), status, duration, and the caller's `sub` and role when the
//! request was authenticated. It never holds a token, a query string (its parameters can name
//! people: `q=Dupont`) nor a body: the route is the template the request matched, not its path.

use std::io::Write;
use std::time::Duration;

use log::kv::{Key, Source, Value, VisitSource};

/// The target of access lines (`RUST_LOG=cnfs_api::acces=warn` hides them).
pub const ACCESS_TARGET: &str = "cnfs_api::acces";

/// How log lines are written (`CNFS_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `env_logger`'s human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line: `ts`, `level`, `target`, `message`, and the line's fields.
    Json,
}

impl LogFormat {
    /// Parses `text` or `json`.
    pub fn parse(value: &str) -> Option<LogFormat> {
        match value.trim() {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// Installs the logger: `RUST_LOG` filters (else `default_filter`), `format` shapes the lines.
pub fn init(format: LogFormat, default_filter: &str) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default_filter));
    if format == LogFormat::Json {
        builder.format(|buf, record| {
            let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            writeln!(buf, "{}", json_line(&ts, record))
        });
    }
    builder.init();
}

/// A record as one JSON object: `ts`, `level`, `target`, `message`, then the record's key-values
/// (numbers stay numbers).
pub fn json_line(ts: &str, record: &log::Record<'_>) -> String {
    let mut object = serde_json::Map::new();
    object.insert("ts".to_owned(), ts.into());
    object.insert("level".to_owned(), record.level().as_str().into());
    object.insert("target".to_owned(), record.target().into());
    object.insert("message".to_owned(), record.args().to_string().into());
    struct Fields<'a>(&'a mut serde_json::Map<String, serde_json::Value>);
    impl<'kvs> VisitSource<'kvs> for Fields<'_> {
        fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
            let json = if let Some(n) = value.to_u64() {
                n.into()
            } else if let Some(n) = value.to_i64() {
                n.into()
            } else if let Some(x) = value.to_f64() {
                serde_json::Number::from_f64(x).map_or(serde_json::Value::Null, Into::into)
            } else {
                value.to_string().into()
            };
            self.0.insert(key.as_str().to_owned(), json);
            Ok(())
        }
    }
    // Visiting our own sources cannot fail; a foreign one that does only loses its fields.
    let _ = record.key_values().visit(&mut Fields(&mut object));
    serde_json::Value::Object(object).to_string()
}

/// One request's access line.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessLine {
    /// The request id (`X-Request-Id`).
    pub request_id: String,
    /// The method (a bounded label, see [`crate::metrics::method_label`]).
    pub method: &'static str,
    /// The route template the request matched, or `unmatched`.
    pub route: String,
    /// The response's status.
    pub status: u16,
    /// Until the response's head was ready.
    pub duration: Duration,
    /// The caller's `sub` and role, when a token was verified.
    pub caller: Option<(String, &'static str)>,
}

impl AccessLine {
    /// The duration in milliseconds, to the tenth.
    fn milliseconds(&self) -> f64 {
        (self.duration.as_secs_f64() * 10_000.0).round() / 10.0
    }

    /// The human-readable line: `<id> <method> <route> <status> <ms>ms [sub=… role=…]`.
    pub fn text(&self) -> String {
        let mut line = format!(
            "{} {} {} {} {:.1}ms",
            self.request_id,
            self.method,
            self.route,
            self.status,
            self.milliseconds()
        );
        if let Some((sub, role)) = &self.caller {
            line.push_str(&format!(" sub={sub} role={role}"));
        }
        line
    }

    /// Whether access lines are written (`info` on [`ACCESS_TARGET`]): the request middleware
    /// builds one only then.
    pub fn enabled() -> bool {
        log::log_enabled!(target: ACCESS_TARGET, log::Level::Info)
    }

    /// Writes the line at `info` on [`ACCESS_TARGET`], its fields as key-values.
    pub fn log(&self) {
        if !Self::enabled() {
            return;
        }
        let text = self.text();
        log::logger().log(
            &log::Record::builder()
                .args(format_args!("{text}"))
                .level(log::Level::Info)
                .target(ACCESS_TARGET)
                .module_path_static(Some(module_path!()))
                .key_values(self)
                .build(),
        );
    }
}

impl Source for AccessLine {
    fn visit<'kvs>(&'kvs self, visitor: &mut dyn VisitSource<'kvs>) -> Result<(), log::kv::Error> {
        visitor.visit_pair(
            Key::from_str("request_id"),
            Value::from(self.request_id.as_str()),
        )?;
        visitor.visit_pair(Key::from_str("method"), Value::from(self.method))?;
        visitor.visit_pair(Key::from_str("route"), Value::from(self.route.as_str()))?;
        visitor.visit_pair(Key::from_str("status"), Value::from(self.status))?;
        visitor.visit_pair(
            Key::from_str("duration_ms"),
            Value::from(self.milliseconds()),
        )?;
        if let Some((sub, role)) = &self.caller {
            visitor.visit_pair(Key::from_str("sub"), Value::from(sub.as_str()))?;
            visitor.visit_pair(Key::from_str("role"), Value::from(*role))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(caller: Option<(String, &'static str)>) -> AccessLine {
        AccessLine {
            request_id: "0193-abc".to_owned(),
            method: "GET",
            route: "/api/v1/conventions/{id}".to_owned(),
            status: 200,
            duration: Duration::from_micros(3_456),
            caller,
        }
    }

    #[test]
    fn the_text_line_names_the_route_and_the_caller() {
        assert_eq!(
            line(None).text(),
            "0193-abc GET /api/v1/conventions/{id} 200 3.5ms"
        );
        assert_eq!(
            line(Some(("agent-42".to_owned(), "prefecture"))).text(),
            "0193-abc GET /api/v1/conventions/{id} 200 3.5ms sub=agent-42 role=prefecture"
        );
    }

    #[test]
    fn a_json_line_carries_the_fields_typed() {
        let access = line(Some(("agent-42".to_owned(), "admin")));
        let text = access.text();
        let json: serde_json::Value = serde_json::from_str(&json_line(
            "2026-12-07T10:00:00.000Z",
            &log::Record::builder()
                .args(format_args!("{text}"))
                .level(log::Level::Info)
                .target(ACCESS_TARGET)
                .key_values(&access)
                .build(),
        ))
        .unwrap();
        assert_eq!(json["ts"], "2026-12-07T10:00:00.000Z");
        assert_eq!(json["level"], "INFO");
        assert_eq!(json["target"], ACCESS_TARGET);
        assert_eq!(json["message"], text);
        assert_eq!(json["request_id"], "0193-abc");
        assert_eq!(json["method"], "GET");
        assert_eq!(json["route"], "/api/v1/conventions/{id}");
        assert_eq!(json["status"], 200);
        assert_eq!(json["duration_ms"], 3.5);
        assert_eq!(json["sub"], "agent-42");
        assert_eq!(json["role"], "admin");
        // Anonymous: no caller fields at all.
        let anonymous = line(None);
        let json: serde_json::Value = serde_json::from_str(&json_line(
            "t",
            &log::Record::builder()
                .args(format_args!("x"))
                .key_values(&anonymous)
                .build(),
        ))
        .unwrap();
        assert!(
            json.get("sub").is_none() && json.get("role").is_none(),
            "{json}"
        );
        // Any other line: the same envelope, a message with quotes and newlines kept valid.
        let json: serde_json::Value = serde_json::from_str(&json_line(
            "t",
            &log::Record::builder()
                .args(format_args!("base \"prête\"\nensuite"))
                .level(log::Level::Warn)
                .target("cnfs_api")
                .build(),
        ))
        .unwrap();
        assert_eq!(json["message"], "base \"prête\"\nensuite");
        assert_eq!(json["level"], "WARN");
    }

    #[test]
    fn formats_are_text_or_json() {
        assert_eq!(LogFormat::parse("json"), Some(LogFormat::Json));
        assert_eq!(LogFormat::parse(" text "), Some(LogFormat::Text));
        assert_eq!(LogFormat::parse("JSON"), None);
    }
}
