//! A moto server of the test's own on 127.0.0.1: started from the repository's
//! `.venv` (made by `scripts/setup-moto.sh`), killed when dropped.
//!
//! One server per test keeps tests independent without a shared reset; moto
//! starts in about half a second.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to answer its first request.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Tries with a fresh port when another process took the one picked.
const START_ATTEMPTS: usize = 3;

/// A running moto server; dropping it kills the process.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

fn repo_root() -> PathBuf {
    // crates/ssomatrix-testkit → the repository root.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether the developer asked to skip the moto tests.
pub fn skip_requested() -> bool {
    std::env::var("SSOMATRIX_SKIP_MOTO").is_ok_and(|v| v == "1")
}

/// Starts a server for one test. `None` (with a note on stderr) only when
/// `SSOMATRIX_SKIP_MOTO=1`; a missing installation fails the test.
pub fn start(test: &str) -> Option<Moto> {
    if skip_requested() {
        eprintln!("note: {test} skipped because SSOMATRIX_SKIP_MOTO=1");
        return None;
    }
    Some(start_from(&repo_root().join(".venv/bin")))
}

/// Starts a server from the virtualenv `bin` folder `venv`; panics with the
/// set-up command when moto is not installed there.
pub fn start_from(venv: &Path) -> Moto {
    let marker = venv.join("moto_server");
    assert!(
        marker.exists(),
        "moto is not installed at {}; run `scripts/setup-moto.sh` (or set SSOMATRIX_SKIP_MOTO=1 to skip the moto tests)",
        marker.display()
    );
    let mut last_error = String::new();
    for _ in 0..START_ATTEMPTS {
        match Moto::spawn(&marker) {
            Ok(moto) => return moto,
            Err(e) => last_error = e,
        }
    }
    panic!("moto_server did not start after {START_ATTEMPTS} attempts: {last_error}");
}

impl Moto {
    fn spawn(moto_server: &Path) -> Result<Moto, String> {
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        // A library has no CARGO_TARGET_TMPDIR; the port makes the name unique
        // among live servers.
        let log = std::env::temp_dir().join(format!("ssomatrix-moto-{port}.log"));
        let log_file = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err_file = log_file
            .try_clone()
            .map_err(|e| format!("{}: {e}", log.display()))?;
        // Plain moto, as installed: ssomatrix takes the ARNs it answers as
        // they are, so nothing needs rewriting.
        let child = Command::new(moto_server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(err_file)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", moto_server.display()))?;
        let mut moto = Moto { child, addr, log };
        moto.wait_until_ready()?;
        Ok(moto)
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "moto_server exited with {status}; log:\n{}",
                    self.log_tail()
                ));
            }
            if self.request("GET", "/moto-api/").is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "moto_server did not answer within {STARTUP_TIMEOUT:?}; log:\n{}",
            self.log_tail()
        ))
    }

    /// The endpoint URL to give the SDK.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Forgets everything the server holds (`POST /moto-api/reset`).
    pub fn reset(&self) {
        let response = self.request("POST", "/moto-api/reset").unwrap();
        assert!(
            response.starts_with("HTTP/1.1 200"),
            "reset failed: {response}"
        );
    }

    /// A minimal HTTP/1.1 exchange: enough for moto's own API, and no HTTP
    /// client dependency for it.
    fn request(&self, method: &str, path: &str) -> std::io::Result<String> {
        let mut stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        if response.starts_with("HTTP/1.") {
            Ok(response)
        } else {
            Err(std::io::Error::other(format!("not HTTP: {response:.80}")))
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Kill only our own child, by its handle, and reap it.
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The request log helps only when a test failed.
        if std::thread::panicking() {
            eprintln!("moto's request log: {}", self.log.display());
        } else {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

fn free_port() -> std::io::Result<u16> {
    // The port is free when the listener closes; another process could take
    // it before moto binds, which `start` survives by trying again.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
