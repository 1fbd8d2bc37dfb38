//! The worker role: a ROUTER that answers calls, heartbeats and shutdown. Spawn mode (COMLINK_ZMQ_PORT
//! set) connects to the parent; connect mode binds 127.0.0.1 and registers in services.json. Unlike
//! the public Rust peer, each call runs on its own task (sync methods on the blocking pool), so a
//! long call never delays heartbeats or other calls, and a bad argument is an error reply, not a panic.
use crate::methods::{self, Outcome};
use crate::registry;
use crate::wire::{self, Message, V3, V4};
use rmpv::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use zeromq::{Endpoint, RouterSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

/// A frame set to send: routing id, payload.
pub type Outgoing = (Vec<u8>, Vec<u8>);

/// Who gets output lines over the wire, and in which app id.
pub struct Output {
    tx: mpsc::UnboundedSender<Outgoing>,
    /// Connect mode: parents that opted in with `metadata.mf_output`. Spawn mode under a parent
    /// that does not read our pipes (no MULTIFROST_PARENT_PID): the one parent, once it has spoken.
    targets: Mutex<HashMap<Vec<u8>, String>>,
    print_locally: bool,
}

impl Output {
    pub fn line(&self, stream: &str, text: &str) {
        if self.print_locally {
            if stream == "stderr" {
                eprintln!("{text}");
            } else {
                println!("{text}");
            }
        }
        for (peer, app) in self.targets.lock().unwrap().iter() {
            let mut m = Message::new(app, &wire::new_id(), stream);
            m.output = Some(text.to_string());
            let _ = self.tx.send((peer.clone(), m.encode()));
        }
    }
}

enum Mode {
    Spawn { under_our_parent: bool },
    Connect { service: String },
}

pub async fn run(service: Option<String>) -> Result<(), String> {
    let port_env = std::env::var("COMLINK_ZMQ_PORT")
        .ok()
        .filter(|p| !p.is_empty());
    let parent_pid = std::env::var("MULTIFROST_PARENT_PID")
        .ok()
        .and_then(|p| p.parse::<u64>().ok());
    let mut sock = RouterSocket::new();
    let mode = if let Some(raw) = port_env {
        let port: u16 = raw
            .parse()
            .ok()
            .filter(|p| *p >= 1024)
            .ok_or(format!("Invalid port '{raw}'"))?;
        // Our own subprocesses must not think they were spawned by our parent.
        std::env::remove_var("COMLINK_ZMQ_PORT");
        std::env::remove_var("COMLINK_WORKER_MODE");
        std::env::remove_var("MULTIFROST_PARENT_PID");
        tokio::time::timeout(
            Duration::from_secs(10),
            sock.connect(&format!("tcp://127.0.0.1:{port}")),
        )
        .await
        .map_err(|_| format!("could not connect to tcp://127.0.0.1:{port} within 10s"))?
        .map_err(|e| e.to_string())?;
        Mode::Spawn {
            under_our_parent: parent_pid.is_some(),
        }
    } else if let Some(id) = service {
        let ep = sock
            .bind("tcp://127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let port = match ep {
            Endpoint::Tcp(_, port) => port,
            other => return Err(format!("unexpected endpoint {other}")),
        };
        registry::register(&id, port)?;
        println!("Service '{id}' ready on port {port}");
        Mode::Connect { service: id }
    } else {
        return Err("Need COMLINK_ZMQ_PORT env or a service id".into());
    };

    let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
    let print_locally = !matches!(
        mode,
        Mode::Spawn {
            under_our_parent: false
        }
    );
    let output = Arc::new(Output {
        tx: tx.clone(),
        targets: Mutex::new(HashMap::new()),
        print_locally,
    });
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| e.to_string())?;
    // Whoever started us may not say who they are (public parents set no MULTIFROST_PARENT_PID):
    // a change of our parent process id means it is gone, so we go too.
    let first_ppid = std::os::unix::process::parent_id();
    let mut watch = tokio::time::interval(Duration::from_millis(250));

    let stop = loop {
        tokio::select! {
            got = sock.recv() => match got {
                Ok(frames) => handle(frames.into_vec(), &mode, &tx, &output),
                Err(e) => break format!("receive failed: {e}"),
            },
            Some((peer, payload)) = rx.recv() => {
                let mut m = ZmqMessage::from(peer);
                m.push_back(Vec::new().into());
                m.push_back(payload.into());
                // A parent that has gone away is not an error worth stopping for.
                let _ = sock.send(m).await;
            }
            _ = term.recv() => break "SIGTERM".into(),
            _ = int.recv() => break "SIGINT".into(),
            _ = watch.tick() => {
                let gone = std::os::unix::process::parent_id() != first_ppid
                    || parent_pid.map(|p| !registry::pid_alive(p)).unwrap_or(false);
                if gone && matches!(mode, Mode::Spawn { .. }) { break "parent gone".into(); }
            }
        }
        if SHUTDOWN.load(std::sync::atomic::Ordering::SeqCst) {
            break "shutdown".into();
        }
    };
    if let Mode::Connect { service } = &mode {
        let _ = registry::unregister(service);
    }
    eprintln!("rust-peer child stopping: {stop}");
    Ok(())
}

static SHUTDOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn handle(
    mut frames: Vec<bytes::Bytes>,
    mode: &Mode,
    tx: &mpsc::UnboundedSender<Outgoing>,
    output: &Arc<Output>,
) {
    if frames.len() != 3 || !frames[1].is_empty() {
        return; // not [routing_id, "", payload]: dropped, never fatal
    }
    let payload = frames.pop().unwrap();
    let peer = frames.swap_remove(0).to_vec();
    let msg = match Message::decode(&payload) {
        Ok(m) => m,
        Err(e) => return reply_undecodable(&payload, &peer, tx, &e),
    };
    if msg.app != V3 && msg.app != V4 || msg.id.is_empty() {
        return;
    }
    match mode {
        Mode::Connect { .. } => {
            let mut targets = output.targets.lock().unwrap();
            match msg.meta("mf_output").and_then(Value::as_bool) {
                Some(true) => {
                    targets.insert(peer.clone(), msg.app.clone());
                }
                Some(false) => {
                    targets.remove(&peer);
                }
                None => {
                    if let Some(app) = targets.get_mut(&peer) {
                        *app = msg.app.clone();
                    }
                }
            }
        }
        Mode::Spawn {
            under_our_parent: false,
        } => {
            output
                .targets
                .lock()
                .unwrap()
                .insert(peer.clone(), msg.app.clone());
        }
        Mode::Spawn { .. } => {}
    }
    match msg.kind.as_str() {
        "heartbeat" => {
            let mut r = Message::new(&msg.app, &msg.id, "heartbeat");
            let hb = msg
                .meta("hb_timestamp")
                .cloned()
                .unwrap_or(Value::F64(wire::now()));
            r.metadata = Some(Value::Map(vec![
                (Value::from("hb_timestamp"), hb),
                (Value::from("hb_response"), Value::Boolean(true)),
            ]));
            r.args = msg.args.clone();
            let _ = tx.send((peer, r.encode()));
        }
        "call" => call(msg, peer, tx.clone(), output.clone()),
        // A shared service must not be stopped by any client that can reach it.
        "shutdown" if matches!(mode, Mode::Spawn { .. }) => {
            SHUTDOWN.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        _ => {}
    }
}

fn reply_undecodable(payload: &[u8], peer: &[u8], tx: &mpsc::UnboundedSender<Outgoing>, why: &str) {
    // The struct did not decode (e.g. a string field of another type); if app and id can still be
    // read, the caller gets an error instead of silence.
    let Ok(Value::Map(entries)) = rmpv::decode::read_value(&mut &payload[..]) else {
        return;
    };
    let get = |k: &str| {
        entries
            .iter()
            .find(|(key, _)| key.as_str() == Some(k))
            .and_then(|(_, v)| v.as_str())
    };
    if let (Some(app), Some(id)) = (get("app"), get("id")) {
        if (app == V3 || app == V4) && !id.is_empty() {
            let mut r = Message::new(app, id, "error");
            r.error = Some(format!("ProtocolError: cannot decode message: {why}"));
            r.error_type = Some("ProtocolError".into());
            let _ = tx.send((peer.to_vec(), r.encode()));
        }
    }
}

fn call(msg: Message, peer: Vec<u8>, tx: mpsc::UnboundedSender<Outgoing>, output: Arc<Output>) {
    let send =
        move |tx: &mpsc::UnboundedSender<Outgoing>, app: &str, id: &str, outcome: Outcome| {
            let r = match outcome {
                Ok(v) => {
                    let mut r = Message::new(app, id, "response");
                    r.result = Some(v);
                    r
                }
                Err((name, text)) => {
                    let mut r = Message::new(app, id, "error");
                    r.error = Some(format!("{name}: {text}"));
                    r.error_type = Some(name);
                    r
                }
            };
            let _ = tx.send((peer, r.encode()));
        };
    let Some(function) = msg.function.clone() else {
        return send(
            &tx,
            &msg.app,
            &msg.id,
            Err((
                "ProtocolError".into(),
                "Message missing 'function' field".into(),
            )),
        );
    };
    let args = match msg.args.clone() {
        Some(Value::Array(a)) => a,
        None | Some(Value::Nil) => Vec::new(),
        Some(_) => {
            return send(
                &tx,
                &msg.app,
                &msg.id,
                Err(("TypeError".into(), "Invalid args: expected an array".into())),
            )
        }
    };
    let ns = msg.namespace.as_deref().unwrap_or("default");
    if ns != "default" {
        let why = format!("Namespace '{ns}' is not served here (this worker serves 'default')");
        return send(&tx, &msg.app, &msg.id, Err(("NamespaceError".into(), why)));
    }
    if function.starts_with('_') && function != methods::LIST {
        let why = format!("Cannot call private method '{function}'");
        return send(&tx, &msg.app, &msg.id, Err(("AttributeError".into(), why)));
    }
    let (app, id) = (msg.app, msg.id);
    if methods::is_async(&function) {
        tokio::spawn(async move {
            let outcome = methods::call_async(&function, args).await;
            send(&tx, &app, &id, outcome);
        });
    } else {
        tokio::task::spawn_blocking(move || {
            let outcome = methods::call_sync(&function, args, &output);
            send(&tx, &app, &id, outcome);
        });
    }
}
