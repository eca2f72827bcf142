//! Files a run reads and writes: outputs that would replace an input or
//! another output are refused, writes are atomic and keep the file's mode and
//! symlinks, and a snapshot that apply writes back is locked for the run.

use std::fs::{File, Metadata};
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// A file named on the command line and what it is, for messages
/// (`the assignments file (-c)`).
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    pub what: &'static str,
    pub path: &'a Path,
}

impl<'a> Named<'a> {
    pub fn new(what: &'static str, path: &'a Path) -> Self {
        Named { what, path }
    }
}

/// How a path is told apart from others: where it leads after symlinks and
/// `.`/`..`, and the device and inode when it exists (hard links).
#[derive(Debug, PartialEq, Eq)]
struct Identity {
    canonical: PathBuf,
    inode: Option<(u64, u64)>,
}

impl Identity {
    fn of(path: &Path) -> Identity {
        let inode = std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()));
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| {
            // Not there yet (or a dangling symlink): its directory decides.
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
            match path.file_name() {
                Some(name) => dir.join(name),
                None => dir,
            }
        });
        Identity { canonical, inode }
    }

    fn same(&self, other: &Identity) -> bool {
        self.canonical == other.canonical || (self.inode.is_some() && self.inode == other.inode)
    }
}

/// Refuses an output that is one of the inputs or another output: writing it
/// would destroy what the run read or wrote.
pub fn check_outputs(inputs: &[Named<'_>], outputs: &[Named<'_>]) -> anyhow::Result<()> {
    let inputs: Vec<(Named<'_>, Identity)> =
        inputs.iter().map(|n| (*n, Identity::of(n.path))).collect();
    let outputs: Vec<(Named<'_>, Identity)> =
        outputs.iter().map(|n| (*n, Identity::of(n.path))).collect();
    for (i, (out, id)) in outputs.iter().enumerate() {
        let clash = inputs
            .iter()
            .chain(outputs[..i].iter())
            .find(|(_, other)| id.same(other));
        if let Some((other, _)) = clash {
            bail!(
                "{} {} is the same file as {} {}; writing it would replace that file: choose another path for {}",
                out.what,
                out.path.display(),
                other.what,
                other.path.display(),
                out.what
            );
        }
    }
    Ok(())
}

/// Writes `contents` to `path` through a temporary file in the same
/// directory and a rename, so a reader never sees half a file. A symlink is
/// written through (it stays a symlink to the new file) and an existing
/// file keeps its permissions.
pub fn write_atomic(path: &Path, contents: &str) -> anyhow::Result<()> {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let existing = std::fs::metadata(&target).ok();
    write_replacing(&target, existing.as_ref(), contents)
        .with_context(|| format!("cannot write {}", path.display()))
}

fn write_replacing(
    target: &Path,
    existing: Option<&Metadata>,
    contents: &str,
) -> std::io::Result<()> {
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        if let Some(m) = existing {
            f.set_permissions(m.permissions())?;
        }
        f.write_all(contents.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, target)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// A snapshot file that a run writes back, locked from before it is read
/// until the run ends, so that two applies on one file cannot lose an update.
#[derive(Debug)]
pub struct LockedSnapshot {
    /// The path as given, for messages.
    pub path: PathBuf,
    /// Where it leads after symlinks: what is read, locked and replaced.
    target: PathBuf,
    /// The text read under the lock.
    pub text: String,
    /// Whether it was JSON (it is written back as it came).
    pub json: bool,
    /// Holds the lock (an advisory `flock`) until dropped.
    _lock: File,
}

/// How often a lock is taken again when the file was replaced while waiting.
const LOCK_ATTEMPTS: usize = 20;

impl LockedSnapshot {
    /// Opens, checks it can be written, locks and reads `path`.
    pub fn open(path: &Path) -> anyhow::Result<LockedSnapshot> {
        let shown = path.display();
        let target =
            std::fs::canonicalize(path).with_context(|| format!("cannot read snapshot {shown}"))?;
        let meta =
            std::fs::metadata(&target).with_context(|| format!("cannot read snapshot {shown}"))?;
        if !meta.is_file() {
            bail!("snapshot {shown} is not a regular file; pass the snapshot file itself");
        }
        if meta.permissions().readonly() {
            bail!(
                "snapshot {shown} is read-only, and this command writes the new state back to it; nothing was applied: \
                 make it writable (`chmod u+w {shown}`) or pass a copy"
            );
        }
        for _ in 0..LOCK_ATTEMPTS {
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&target)
                .with_context(|| {
                    format!(
                        "cannot open snapshot {shown} for writing; nothing was applied: make it writable or pass a copy"
                    )
                })?;
            lock(&file, path)?;
            // A run that held the lock replaced the file by a rename: the
            // lock is on the old one, so take it again on the new one.
            let now = std::fs::metadata(&target).ok().map(|m| (m.dev(), m.ino()));
            let locked = file.metadata().ok().map(|m| (m.dev(), m.ino()));
            if now != locked {
                continue;
            }
            check_dir_writable(&target, path)?;
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)
                .with_context(|| format!("cannot read snapshot {shown}"))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                anyhow::anyhow!(
                    "snapshot {shown} is not UTF-8 text (invalid byte at offset {}); export it again",
                    e.utf8_error().valid_up_to()
                )
            })?;
            let json = text.trim_start().starts_with('{');
            return Ok(LockedSnapshot {
                path: path.to_path_buf(),
                target,
                text,
                json,
                _lock: file,
            });
        }
        bail!("snapshot {shown} kept being replaced while waiting for its lock; try again")
    }

    /// Replaces the file (through its symlink, keeping its mode) with `text`,
    /// still under the lock.
    pub fn save(&self, text: &str) -> anyhow::Result<()> {
        let existing = std::fs::metadata(&self.target).ok();
        write_replacing(&self.target, existing.as_ref(), text)
            .with_context(|| format!("cannot write snapshot {}", self.path.display()))
    }
}

fn lock(file: &File, path: &Path) -> anyhow::Result<()> {
    match file.try_lock() {
        Ok(()) => return Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => {
            errln!(
                "waiting for another ssomatrix run that is writing snapshot {} to finish",
                path.display()
            );
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock snapshot {}", path.display()));
        }
    }
    file.lock()
        .with_context(|| format!("cannot lock snapshot {}", path.display()))
}

/// The new state is written next to the file and renamed over it, so its
/// directory must take new files; find out before anything is applied.
fn check_dir_writable(target: &Path, path: &Path) -> anyhow::Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let probe = dir.join(format!(".ssomatrix-probe-{}", std::process::id()));
    match File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(e).with_context(|| {
            format!(
                "cannot write in the directory of snapshot {} ({}), where its new state is written before it replaces the file; \
                 nothing was applied: pass a snapshot in a writable directory",
                path.display(),
                dir.display()
            )
        }),
    }
}
