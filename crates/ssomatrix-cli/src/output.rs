//! Terminal concerns: logging setup, colour decisions, error printing,
//! progress on a TTY, and data on stdout.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::Context;

pub fn init_tracing(verbose: u8) {
    // The AWS SDK warns about every credential provider it tries; the error
    // that matters reaches the user through ours, so its warnings need -vv.
    let default = match verbose {
        0 => "warn,aws_config=error,aws_runtime=error,aws_smithy_runtime=error",
        1 => "info,aws_config=error,aws_runtime=error,aws_smithy_runtime=error",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour_allowed(false) && std::io::stderr().is_terminal())
        .without_time()
        .try_init();
}

/// Colour only on a terminal, never with `NO_COLOR` or `--no-color`.
pub fn colour_allowed(no_color_flag: bool) -> bool {
    !no_color_flag && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub fn stdout_colour(no_color_flag: bool) -> bool {
    colour_allowed(no_color_flag) && std::io::stdout().is_terminal()
}

/// Writes data to stdout. A reader that went away (`| head -1`) is not an
/// error: the run ends as it would have, with its usual exit code.
pub fn stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to stdout")
        }
        _ => Ok(()),
    }
}

pub fn print_error(e: &anyhow::Error) {
    let mut msg = format!("error: {e}");
    for cause in e.chain().skip(1) {
        msg.push_str(&format!("\n  caused by: {cause}"));
    }
    errln!("{msg}");
}

/// Shows the reader's progress on stderr while `fut` runs, when stderr is a
/// terminal; otherwise just runs it.
pub async fn with_progress<T>(
    progress: &ssomatrix_engine::inventory::Progress,
    fut: impl std::future::Future<Output = T>,
) -> T {
    if !std::io::stderr().is_terminal() {
        return fut.await;
    }
    let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    tokio::pin!(fut);
    let mut frame = 0usize;
    let out = loop {
        tokio::select! {
            out = &mut fut => break out,
            () = tokio::time::sleep(Duration::from_millis(100)) => {
                let (phase, done, total) = progress.get();
                if !phase.is_empty() {
                    err!("\r\x1b[2K{} reading {phase}: {done}/{total}", frames[frame % frames.len()]);
                }
                frame += 1;
            }
        }
    };
    err!("\r\x1b[2K");
    out
}
