//! The Multifrost message as the public Rust peer puts it on the wire: one msgpack map written with
//! `rmp_serde::to_vec_named` (field names as keys, never rmp-serde's default positional arrays),
//! snake_case keys, absent optional fields left out. Values are `rmpv::Value` rather than the public
//! peer's `serde_json::Value`, so bin and ext (timestamps) decode instead of failing the whole message.
use rmpv::Value;
use serde::{Deserialize, Serialize};

pub const V3: &str = "comlink_ipc_v3";
pub const V4: &str = "comlink_ipc_v4";

#[derive(Serialize, Deserialize, Default, Debug, Clone)]
pub struct Message {
    #[serde(default)]
    pub app: String,
    #[serde(default)]
    pub id: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    // The public peer accepts an int or a float here; a Value takes both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// A fresh id: 32 hex digits from the clock, the pid and a counter (unique enough for one run,
/// and it avoids a uuid/rand dependency).
pub fn new_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    format!("{:016x}{:08x}{:08x}", t, std::process::id(), n as u32)
}

impl Message {
    pub fn new(app: &str, id: &str, kind: &str) -> Self {
        Message {
            app: app.to_string(),
            id: id.to_string(),
            kind: kind.to_string(),
            timestamp: Some(Value::F64(now())),
            ..Default::default()
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        rmp_serde::to_vec_named(self).expect("a message always encodes")
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        rmp_serde::from_slice(bytes).map_err(|e| e.to_string())
    }

    pub fn meta(&self, key: &str) -> Option<&Value> {
        match &self.metadata {
            Some(Value::Map(entries)) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// The msgpack type of a value as this side decoded it, for the tests to check on the far side.
pub fn describe(v: &Value) -> serde_json::Value {
    use serde_json::json;
    match v {
        Value::Nil => json!({"type": "nil"}),
        Value::Boolean(b) => json!({"type": "bool", "repr": b.to_string()}),
        Value::Integer(i) => match i.as_i64() {
            Some(n) => json!({"type": "int", "repr": n.to_string()}),
            None => json!({"type": "uint", "repr": i.as_u64().unwrap_or(0).to_string()}),
        },
        Value::F32(f) => json!({"type": "f32", "repr": f.to_string()}),
        Value::F64(f) => json!({"type": "f64", "repr": f.to_string()}),
        Value::String(s) => match s.as_str() {
            Some(t) => json!({"type": "str", "value": t}),
            None => json!({"type": "str", "hex": hex(s.as_bytes())}),
        },
        Value::Binary(b) => json!({"type": "bin", "hex": hex(b)}),
        Value::Array(items) => {
            json!({"type": "array", "items": items.iter().map(describe).collect::<Vec<_>>()})
        }
        Value::Map(entries) => {
            let mut out = serde_json::Map::new();
            for (k, v) in entries {
                out.insert(
                    k.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| k.to_string()),
                    describe(v),
                );
            }
            json!({"type": "map", "items": out})
        }
        Value::Ext(tag, data) => json!({"type": "ext", "repr": tag.to_string(), "hex": hex(data)}),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
