//! services.json as the public Rust peer (136808e) keeps it: `services.lock` taken with O_EXCL
//! (10 s wait, broken when older than 10 s), entries `{port, pid, started: "<unix seconds>"}`,
//! atomic rewrite. Unlike the public peer it keeps every other entry as raw JSON, so a Go-written
//! `start_time` entry or unknown keys never make the whole file unreadable.
use serde_json::{json, Map, Value};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

pub fn home() -> PathBuf {
    match std::env::var("MULTIFROST_HOME") {
        Ok(h) if !h.is_empty() => PathBuf::from(h),
        _ => PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()))
            .join(".multifrost"),
    }
}

struct Lock(PathBuf);

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn lock() -> Result<Lock, String> {
    let dir = home();
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("services.lock");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                let _ = write!(f, "{}", std::process::id());
                return Ok(Lock(path));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let stale = fs::symlink_metadata(&path)
                    .and_then(|m| m.modified())
                    .map(|t| {
                        SystemTime::now().duration_since(t).unwrap_or_default()
                            > Duration::from_secs(10)
                    })
                    .unwrap_or(false);
                if stale {
                    let _ = fs::remove_file(&path);
                    continue;
                }
                if Instant::now() >= deadline {
                    return Err(format!(
                        "Could not acquire registry lock {} after 10s",
                        path.display()
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
        }
    }
}

fn read() -> Result<Map<String, Value>, String> {
    let path = home().join("services.json");
    match fs::read_to_string(&path) {
        Ok(text) if text.trim().is_empty() => Ok(Map::new()),
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(format!(
                "{} is not a JSON object; left untouched",
                path.display()
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

fn write(entries: &Map<String, Value>) -> Result<(), String> {
    let dir = home();
    let tmp = dir.join(format!("services.json.{}.tmp", std::process::id()));
    let text = serde_json::to_string_pretty(entries).map_err(|e| e.to_string())?;
    let mut f = fs::File::create(&tmp).map_err(|e| e.to_string())?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| e.to_string())?;
    fs::rename(&tmp, dir.join("services.json")).map_err(|e| e.to_string())
}

pub fn pid_alive(pid: u64) -> bool {
    // Linux only, which is where this test peer runs; a zombie still counts as alive, as with kill -0.
    pid > 0 && PathBuf::from(format!("/proc/{pid}")).exists()
}

fn entry_pid(v: &Value) -> Option<u64> {
    v.get("pid").and_then(Value::as_u64)
}

/// Records `id` at `port` for this process; refuses an id held by a live process.
pub fn register(id: &str, port: u16) -> Result<(), String> {
    let _lock = lock()?;
    let mut entries = read()?;
    if let Some(old) = entries.get(id) {
        if let Some(pid) = entry_pid(old) {
            if pid != std::process::id() as u64 && pid_alive(pid) {
                let p = old.get("port").cloned().unwrap_or(Value::Null);
                return Err(format!(
                    "Service '{id}' already running (PID: {pid}, port: {p})"
                ));
            }
        }
    }
    let started = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    entries.insert(
        id.into(),
        json!({"port": port, "pid": std::process::id(), "started": started.to_string()}),
    );
    write(&entries)
}

/// Removes `id` only if this process still owns it.
pub fn unregister(id: &str) -> Result<(), String> {
    let _lock = lock()?;
    let mut entries = read()?;
    if entries.get(id).and_then(entry_pid) == Some(std::process::id() as u64) {
        entries.remove(id);
        write(&entries)?;
    }
    Ok(())
}

/// Polls (without the lock: the file is replaced atomically) until a live entry appears.
pub fn discover(id: &str, timeout: Duration) -> Result<u16, String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(entries) = read() {
            if let Some(e) = entries.get(id) {
                let port = e.get("port").and_then(Value::as_u64);
                if let (Some(port), Some(pid)) = (port, entry_pid(e)) {
                    if pid_alive(pid) && port > 0 && port <= 65535 {
                        return Ok(port as u16);
                    }
                }
            }
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "Service '{id}' not found within {}ms",
                timeout.as_millis()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
