//! What the Rust child serves. Sync methods run on tokio's blocking pool, async ones as tasks;
//! every argument is checked, so a wrong type is an error reply (the public peer panics).
use crate::child::Output;
use crate::wire;
use rmpv::Value;
use std::time::{Duration, Instant};

pub type Outcome = Result<Value, (String, String)>;

pub const LIST: &str = "__multifrost_list_functions__";
const SYNC: &[&str] = &[
    "add", "describe", "echo", "fail", "pid", "shout", "spin", "values",
];
const ASYNC: &[&str] = &["async_add", "sleep"];

pub fn is_async(name: &str) -> bool {
    ASYNC.contains(&name)
}

fn bad(text: impl Into<String>) -> (String, String) {
    ("TypeError".into(), text.into())
}

fn number(v: Option<&Value>) -> Option<Value> {
    match v {
        Some(Value::Integer(_)) | Some(Value::F64(_)) | Some(Value::F32(_)) => v.cloned(),
        _ => None,
    }
}

fn add(args: &[Value]) -> Outcome {
    let (Some(a), Some(b), 2) = (number(args.first()), number(args.get(1)), args.len()) else {
        return Err(bad("add expects two numbers"));
    };
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        if let Some(sum) = x.checked_add(y) {
            return Ok(Value::from(sum));
        }
    }
    Ok(Value::F64(
        a.as_f64().unwrap_or(0.0) + b.as_f64().unwrap_or(0.0),
    ))
}

fn seconds(args: &[Value]) -> Result<f64, (String, String)> {
    match args.first().and_then(Value::as_f64) {
        Some(s) if (0.0..=600.0).contains(&s) => Ok(s),
        _ => Err(bad("expects a number of seconds from 0 to 600")),
    }
}

/// Rows of the value table made on the Rust side, to be checked after the TypeScript decode.
fn values() -> Value {
    let ts_ext = 1_700_000_000u32.to_be_bytes().to_vec(); // timestamp 32: whole seconds
    Value::Array(vec![
        Value::Nil,
        Value::Boolean(true),
        Value::from(7),
        Value::from(-5),
        Value::from(1i64 << 40),
        Value::from(i64::MAX),
        Value::from(u64::MAX),
        Value::F64(1.5),
        Value::F64(f64::NAN),
        Value::F64(f64::INFINITY),
        Value::F32(0.5),
        Value::from(""),
        Value::from("héllo 🌍"),
        Value::Binary(vec![0, 255]),
        Value::Array(vec![]),
        Value::Array(vec![Value::from(1), Value::Array(vec![Value::from(2)])]),
        Value::Map(vec![]),
        Value::Map(vec![(
            Value::from("a"),
            Value::Map(vec![(Value::from("b"), Value::from(1))]),
        )]),
        Value::Ext(-1, ts_ext),
    ])
}

pub fn call_sync(name: &str, args: Vec<Value>, output: &Output) -> Outcome {
    match name {
        "add" => add(&args),
        "echo" => args
            .into_iter()
            .next()
            .ok_or_else(|| bad("echo expects one value")),
        "describe" => {
            let v = args
                .first()
                .ok_or_else(|| bad("describe expects one value"))?;
            Ok(Value::from(wire::describe(v).to_string()))
        }
        "values" => Ok(values()),
        "fail" => {
            let text = args.first().and_then(Value::as_str).unwrap_or("failed");
            Err(("InvalidInput".into(), text.to_string()))
        }
        "pid" => Ok(Value::from(std::process::id())),
        "shout" => {
            let text = args
                .first()
                .and_then(Value::as_str)
                .ok_or_else(|| bad("shout expects a string"))?;
            output.line("stdout", text);
            output.line("stderr", &format!("err:{text}"));
            Ok(Value::from(text.len()))
        }
        "spin" => {
            // CPU-bound on purpose: no sleeping, no yielding.
            let until = Instant::now() + Duration::from_secs_f64(seconds(&args)?);
            let mut n: u64 = 0;
            while Instant::now() < until {
                for _ in 0..10_000 {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            Ok(Value::from(n))
        }
        LIST => {
            let mut names: Vec<&str> = SYNC.iter().chain(ASYNC).copied().collect();
            names.sort_unstable();
            Ok(Value::Array(names.into_iter().map(Value::from).collect()))
        }
        _ => Err((
            "AttributeError".into(),
            format!("Function '{name}' not found"),
        )),
    }
}

pub async fn call_async(name: &str, args: Vec<Value>) -> Outcome {
    match name {
        "sleep" => {
            let s = seconds(&args)?;
            tokio::time::sleep(Duration::from_secs_f64(s)).await;
            Ok(Value::F64(s))
        }
        "async_add" => {
            tokio::task::yield_now().await;
            add(&args)
        }
        _ => Err((
            "AttributeError".into(),
            format!("Function '{name}' not found"),
        )),
    }
}
