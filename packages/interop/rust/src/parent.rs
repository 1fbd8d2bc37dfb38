//! The caller role: a DEALER that spawns a worker (binding 127.0.0.1 on a port the OS picks, so
//! there is no probe-then-bind race) or connects to a registered service, waits for a heartbeat
//! reply, runs a plan of calls and prints one JSON line per result. Output arriving over the wire
//! and on the worker's pipes is printed too, marked with how it came, so tests can tell them apart.
use crate::registry;
use crate::wire::{self, Message, V4};
use rmpv::Value;
use serde::Deserialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use zeromq::{DealerSocket, Endpoint, Socket, SocketRecv, SocketSend, ZmqMessage};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Plan {
    spawn: Option<Vec<String>>,
    connect: Option<String>,
    app: Option<String>,
    env: HashMap<String, String>,
    calls: Vec<(String, serde_json::Value)>,
    /// Calls of one function sent all at once, then awaited together.
    concurrent: Option<(String, serde_json::Value, usize)>,
    start_timeout_ms: Option<u64>,
    call_timeout_ms: Option<u64>,
}

fn emit(v: serde_json::Value) {
    println!("{v}");
}

/// JSON → msgpack: `{"$bin": "<hex>"}` is bin and `{"$ext": [tag, "<hex>"]}` ext, since JSON has neither.
fn to_value(j: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match j {
        J::Null => Value::Nil,
        J::Bool(b) => Value::Boolean(*b),
        J::Number(n) => n
            .as_i64()
            .map(Value::from)
            .or_else(|| n.as_u64().map(Value::from))
            .unwrap_or_else(|| Value::F64(n.as_f64().unwrap_or(0.0))),
        J::String(s) => Value::from(s.as_str()),
        J::Array(a) => Value::Array(a.iter().map(to_value).collect()),
        J::Object(o) => {
            if let Some(J::String(h)) = o.get("$bin") {
                return Value::Binary(unhex(h));
            }
            if let Some(J::Array(e)) = o.get("$ext") {
                if let (Some(tag), Some(J::String(h))) = (e.first().and_then(J::as_i64), e.get(1)) {
                    return Value::Ext(tag as i8, unhex(h));
                }
            }
            Value::Map(
                o.iter()
                    .map(|(k, v)| (Value::from(k.as_str()), to_value(v)))
                    .collect(),
            )
        }
    }
}

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len() / 2)
        .filter_map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).ok())
        .collect()
}

struct Link {
    sock: DealerSocket,
    app: String,
    child: Option<Child>,
}

enum Event {
    Reply(Message),
    Exited(String),
    Idle,
}

impl Link {
    async fn send(&mut self, m: &Message) -> Result<(), String> {
        let mut z = ZmqMessage::from(Vec::<u8>::new());
        z.push_back(m.encode().into());
        self.sock.send(z).await.map_err(|e| e.to_string())
    }

    fn exited(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => {
                use std::os::unix::process::ExitStatusExt;
                Some(match status.signal() {
                    Some(sig) => format!("signal {sig}"),
                    None => format!("code {}", status.code().unwrap_or(-1)),
                })
            }
            _ => None,
        }
    }

    /// The next reply, with output lines printed on the way; a worker exit ends the wait at once.
    async fn next(&mut self, wait: Duration) -> Event {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(how) = self.exited() {
                return Event::Exited(how);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Event::Idle;
            }
            let slice = left.min(Duration::from_millis(50));
            let Ok(got) = tokio::time::timeout(slice, self.sock.recv()).await else {
                continue;
            };
            let Ok(frames) = got else {
                return Event::Exited("connection failed".into());
            };
            let frames = frames.into_vec();
            if frames.len() != 2 || !frames[0].is_empty() {
                continue;
            }
            let Ok(m) = Message::decode(&frames[1]) else {
                continue;
            };
            if m.app != self.app || m.id.is_empty() {
                continue;
            }
            if m.kind == "stdout" || m.kind == "stderr" {
                emit(json!({"stream": m.kind, "via": "wire", "output": m.output}));
                continue;
            }
            return Event::Reply(m);
        }
    }
}

fn outcome(m: &Message) -> serde_json::Value {
    if m.kind == "error" {
        let text = m.error.clone().unwrap_or_default();
        let (name, message) = match (&m.error_type, text.split_once(": ")) {
            (Some(t), _) => (
                t.clone(),
                text.strip_prefix(&format!("{t}: "))
                    .unwrap_or(&text)
                    .to_string(),
            ),
            (None, Some((n, rest))) => (n.to_string(), rest.to_string()),
            (None, None) => ("Error".to_string(), text.clone()),
        };
        json!({"ok": false, "name": name, "message": message})
    } else {
        json!({"ok": true, "result": wire::describe(m.result.as_ref().unwrap_or(&Value::Nil))})
    }
}

fn call_msg(app: &str, function: &str, args: &serde_json::Value) -> Message {
    let mut m = Message::new(app, &wire::new_id(), "call");
    m.function = Some(function.to_string());
    m.args = Some(match to_value(args) {
        Value::Array(a) => Value::Array(a),
        other => Value::Array(vec![other]),
    });
    m.namespace = Some("default".into());
    m
}

fn pipe_lines(stream: &'static str, pipe: impl std::io::Read + Send + 'static) {
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
            emit(json!({"stream": stream, "via": "pipe", "output": line}));
        }
    });
}

pub async fn run(plan: Plan) -> Result<(), String> {
    let app = plan.app.clone().unwrap_or_else(|| V4.to_string());
    let mut sock = DealerSocket::new();
    let mut child = None;
    if let Some(cmd) = &plan.spawn {
        let ep = sock
            .bind("tcp://127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let Endpoint::Tcp(_, port) = ep else {
            return Err("not a tcp endpoint".into());
        };
        let mut c = Command::new(&cmd[0])
            .args(&cmd[1..])
            .env("COMLINK_ZMQ_PORT", port.to_string())
            .env("COMLINK_WORKER_MODE", "1")
            .envs(&plan.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", cmd[0]))?;
        pipe_lines("stdout", c.stdout.take().unwrap());
        pipe_lines("stderr", c.stderr.take().unwrap());
        emit(json!({"spawned": c.id()}));
        child = Some(c);
    } else if let Some(id) = &plan.connect {
        let port = registry::discover(id, Duration::from_secs(5))?;
        tokio::time::timeout(
            Duration::from_secs(5),
            sock.connect(&format!("tcp://127.0.0.1:{port}")),
        )
        .await
        .map_err(|_| format!("no connection to port {port} within 5s"))?
        .map_err(|e| e.to_string())?;
    } else {
        return Err("the plan needs spawn or connect".into());
    }
    let mut link = Link {
        sock,
        app: app.clone(),
        child,
    };

    // Ready when a heartbeat comes back; the first sends may find no peer yet.
    let start = Instant::now() + Duration::from_millis(plan.start_timeout_ms.unwrap_or(15_000));
    let ready = loop {
        let mut hb = Message::new(&app, &wire::new_id(), "heartbeat");
        hb.metadata = Some(Value::Map(vec![
            (Value::from("hb_timestamp"), Value::F64(wire::now())),
            (Value::from("mf_output"), Value::Boolean(true)),
        ]));
        let _ = link.send(&hb).await;
        match link.next(Duration::from_millis(200)).await {
            Event::Reply(m) if m.kind == "heartbeat" => break Ok(()),
            Event::Exited(how) => break Err(format!("worker exited before it answered ({how})")),
            _ if Instant::now() > start => {
                break Err("no heartbeat reply before the start timeout".to_string())
            }
            _ => {}
        }
    };
    if let Err(e) = ready {
        emit(json!({"ok": false, "name": "StartFailed", "message": e}));
        return finish(link).await;
    }
    emit(json!({"ready": true}));

    let wait = Duration::from_millis(plan.call_timeout_ms.unwrap_or(30_000));
    for (function, args) in &plan.calls {
        // `["$pause", [ms]]`: stay connected and idle, for the tests of a link left alone.
        if function == "$pause" {
            let ms = args.get(0).and_then(serde_json::Value::as_u64).unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            emit(json!({"paused": ms}));
            continue;
        }
        let m = call_msg(&app, function, args);
        link.send(&m).await?;
        let line = loop {
            match link.next(wait).await {
                Event::Reply(r) if r.id == m.id => break outcome(&r),
                Event::Reply(_) => continue,
                Event::Exited(how) => {
                    break json!({"ok": false, "name": "WorkerExited", "message": how})
                }
                Event::Idle => {
                    break json!({"ok": false, "name": "Timeout", "message": format!("{function} timed out")})
                }
            }
        };
        let stop = line["name"] == "WorkerExited";
        emit(line);
        if stop {
            return finish(link).await;
        }
    }

    if let Some((function, args, count)) = &plan.concurrent {
        let mut pending = HashSet::new();
        let mut expected = HashMap::new();
        for i in 0..*count {
            // Each call carries its index, so a reply matched to the wrong call shows up as wrong.
            let mut a = args.as_array().cloned().unwrap_or_default();
            a.push(json!(i));
            let m = call_msg(&app, function, &serde_json::Value::Array(a.clone()));
            expected.insert(
                m.id.clone(),
                a.iter().filter_map(|x| x.as_i64()).sum::<i64>(),
            );
            pending.insert(m.id.clone());
            link.send(&m).await?;
        }
        let (mut ok, mut wrong) = (0, 0);
        while !pending.is_empty() {
            match link.next(wait).await {
                Event::Reply(r) if pending.remove(&r.id) => {
                    let got = r.result.as_ref().and_then(Value::as_i64);
                    if r.kind == "response" && got == expected.get(&r.id).copied() {
                        ok += 1;
                    } else {
                        wrong += 1;
                    }
                }
                Event::Reply(_) => {}
                _ => break,
            }
        }
        emit(json!({"concurrent": count, "ok": ok, "wrong": wrong, "missing": pending.len()}));
    }
    finish(link).await
}

/// Shutdown message, then up to 3 s for the worker to exit, then SIGKILL.
async fn finish(mut link: Link) -> Result<(), String> {
    if link.child.is_some() {
        let _ = link
            .send(&Message::new(
                &link.app.clone(),
                &wire::new_id(),
                "shutdown",
            ))
            .await;
        let until = Instant::now() + Duration::from_secs(3);
        let mut how = link.exited();
        while how.is_none() && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(50)).await;
            how = link.exited();
        }
        if how.is_none() {
            let c = link.child.as_mut().unwrap();
            let _ = c.kill();
            let _ = c.wait();
            how = Some("killed after 3s".into());
        }
        emit(json!({"done": true, "exit": how}));
    } else {
        emit(json!({"done": true}));
    }
    Ok(())
}
