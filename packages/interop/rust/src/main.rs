//! A Multifrost peer in Rust on the public Rust peer's stacks (the pure-Rust `zeromq` 0.4 crate,
//! rmp-serde/rmpv), for the interop tests: `rust-peer child [service-id]` serves calls,
//! `rust-peer parent '<plan json>'` makes them.
mod child;
mod methods;
mod parent;
mod registry;
mod wire;

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
        _ => Err("usage: rust-peer child [service-id] | rust-peer parent '<plan json>'".into()),
    };
    if let Err(e) = result {
        eprintln!("FATAL: {e}");
        std::process::exit(1);
    }
    // Tasks still on the blocking pool (a spin() nobody waits for) must not hold the exit.
    std::process::exit(0);
}
