//! A Multifrost peer in Rust on the public Rust peer's stacks (the pure-Rust `zeromq` 0.4 crate,
//! rmp-serde/rmpv), for the interop tests: `rust-peer child [service-id]` serves calls,
//! `rust-peer parent '<plan json>'` makes them.
mod child;
mod methods;
mod parent;
mod registry;
mod wire;

/// For the concurrent-registration test: registers `<prefix>-0..count` one after another, each under
/// the lock, then stays alive (so the entries are live) until stdin closes.
fn register_many(args: &[String]) -> Result<(), String> {
    let prefix = args.first().ok_or("register needs a prefix")?;
    let count: u16 = args
        .get(1)
        .and_then(|c| c.parse().ok())
        .ok_or("register needs a count")?;
    for i in 0..count {
        registry::register(&format!("{prefix}-{i}"), 20_000 + i)?;
    }
    println!("registered {count}");
    let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new());
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("child") => {
            child::run(
                args.get(2)
                    .cloned()
                    .or_else(|| std::env::var("MF_SERVICE_ID").ok()),
            )
            .await
        }
        Some("parent") => match serde_json::from_str(args.get(2).map(String::as_str).unwrap_or(""))
        {
            Ok(plan) => parent::run(plan).await,
            Err(e) => Err(format!("bad plan: {e}")),
        },
        Some("register") => register_many(&args[2..]),
        _ => Err("usage: rust-peer child [service-id] | parent '<plan json>' | register <prefix> <count>".into()),
    };
    if let Err(e) = result {
        eprintln!("FATAL: {e}");
        std::process::exit(1);
    }
    // Tasks still on the blocking pool (a spin() nobody waits for) must not hold the exit.
    std::process::exit(0);
}
