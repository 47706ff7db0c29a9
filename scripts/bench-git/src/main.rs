//! Times seal-guard's git source on a repository, for `scripts/bench-git.sh`.
//!
//! `bench-git staged REPO` lists the staged files once and prints how many there
//! are (run it under hyperfine, beside `git diff --cached --name-only`).
//! `bench-git history REPO` reads the history once, keeping YAML and JSON blobs
//! that mention `Secret` (what `check --history` will ask for), and prints how
//! many blobs it read per second. Neither prints a path or a byte of content.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use seal_guard::source::git::{BlobFilter, Repo};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["staged", repo] => staged(Path::new(repo)),
        ["history", repo] => history(Path::new(repo)),
        _ => Err("usage: bench-git staged|history REPO".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench-git: {error}");
            ExitCode::FAILURE
        }
    }
}

type Result = std::result::Result<(), Box<dyn std::error::Error>>;

fn staged(repo: &Path) -> Result {
    let files = Repo::discover(repo)?.staged()?;
    println!("{} staged files", files.len());
    Ok(())
}

fn history(repo: &Path) -> Result {
    let read = AtomicUsize::new(0);
    let manifest = |path: &str| [".yaml", ".yml", ".json"].iter().any(|ext| path.ends_with(ext));
    let mentions_secret = |bytes: &[u8]| {
        read.fetch_add(1, Ordering::Relaxed);
        memchr::memmem::find(bytes, b"Secret").is_some()
    };
    let filter = BlobFilter { path: &manifest, content: &mentions_secret };

    let start = Instant::now();
    let found = Repo::discover(repo)?.history(None, &filter)?;
    let seconds = start.elapsed().as_secs_f64();

    let read = read.into_inner();
    let gone = found.iter().filter(|blob| !blob.still_present).count();
    println!(
        "history: {read} blobs read, {} kept ({gone} no longer in HEAD) in {seconds:.2} s: \
         {:.0} blobs/s",
        found.len(),
        read as f64 / seconds
    );
    Ok(())
}
