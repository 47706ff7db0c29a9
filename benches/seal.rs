//! Sealing throughput with a 4096-bit key, single-threaded and on every core, set
//! against the RSA-4096 public-key (verify) rate `openssl speed` measures on the same
//! machine. One seal is one RSA-4096 public-key operation plus small change (OAEP,
//! AES-GCM, 64 bytes from the OS), so OpenSSL's verify rate is the natural yardstick;
//! the target is at least 0.8 of it per core.
//!
//! `openssl speed` divides by the CPU time it used, not by wall time, so on a busy
//! machine its figure barely moves while any wall-clock rate collapses. This bench
//! therefore reports both: values per wall-clock second, and values per CPU second of
//! this process (Linux: summed from `/proc/self/task/*/schedstat`). The ratio to
//! compare with OpenSSL is the CPU one; the load average is printed so a reader can
//! tell whether the wall-clock figures, and the scaling across cores, mean anything.
//!
//! Run with `cargo bench --bench seal` or `scripts/bench-seal.sh`; options:
//! `--values N` (default 20000), `--openssl-seconds S` (default 3).

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use seal_guard::seal::cert::{LoadOptions, SealingKey};
use seal_guard::seal::hybrid;

const CERT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/keys/rsa-4096.crt");
const LABEL: &[u8] = b"bench/values";
const VALUE_LEN: usize = 64;

struct Options {
    values: usize,
    openssl_seconds: u32,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        values: 20_000,
        openssl_seconds: 3,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            let text = args.next().ok_or(format!("{name} needs a number"))?;
            text.parse().map_err(|e| format!("{name} {text}: {e}"))
        };
        match arg.as_str() {
            "--values" => options.values = number("--values")?,
            "--openssl-seconds" => {
                options.openssl_seconds = u32::try_from(number("--openssl-seconds")?)
                    .map_err(|e| format!("--openssl-seconds: {e}"))?;
            }
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

/// CPU time used so far by every thread of this process; `None` off Linux.
fn process_cpu_time() -> Option<Duration> {
    let mut total = Duration::ZERO;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let schedstat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        let nanos: u64 = schedstat.split_whitespace().next()?.parse().ok()?;
        total += Duration::from_nanos(nanos);
    }
    Some(total)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Values per wall-clock second and per CPU second of one timed run.
struct Rates {
    wall: f64,
    cpu: Option<f64>,
}

fn measure(values: usize, run: impl FnOnce()) -> Rates {
    let cpu_start = process_cpu_time();
    let start = Instant::now();
    run();
    let wall = start.elapsed();
    let cpu = cpu_start
        .zip(process_cpu_time())
        .map(|(start, end)| values as f64 / (end - start).as_secs_f64());
    Rates {
        wall: values as f64 / wall.as_secs_f64(),
        cpu,
    }
}

fn show(rate: Option<f64>) -> String {
    rate.map_or_else(|| "n/a".to_owned(), |rate| format!("{rate:.0}"))
}

/// verify/s from the `rsa 4096 bits` line of `openssl speed` (columns: sign, verify,
/// sign/s, verify/s).
fn openssl_verify_rate(seconds: u32) -> Result<f64, String> {
    let output = Command::new("openssl")
        .args(["speed", "-seconds", &seconds.to_string(), "rsa4096"])
        .output()
        .map_err(|e| format!("cannot run openssl: {e}"))?;
    if !output.status.success() {
        return Err(format!("openssl speed failed: {}", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find(|line| line.trim_start().starts_with("rsa 4096 bits"))
        .ok_or("no `rsa 4096 bits` line in the output of openssl speed")?;
    let verify = line
        .split_whitespace()
        .last()
        .ok_or("empty rsa 4096 line")?;
    verify
        .parse()
        .map_err(|e| format!("verify/s {verify:?}: {e}"))
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("bench seal: {message}");
            return ExitCode::from(2);
        }
    };
    let cert = std::fs::read(CERT).expect("the 4096-bit fixture certificate");
    let key = SealingKey::from_pem(&cert, LoadOptions::default()).expect("it loads");
    let value = [0x5a_u8; VALUE_LEN];
    let seal = || {
        let blob = hybrid::seal(&key, LABEL, &value).expect("sealing works");
        std::hint::black_box(blob);
    };
    let threads = rayon::current_num_threads();
    let load_before = load_average();

    // Warm up caches, the allocator and rayon's pool before measuring.
    (0..200).into_par_iter().for_each(|_| seal());

    let single = measure(options.values, || (0..options.values).for_each(|_| seal()));
    let parallel = measure(options.values, || {
        (0..options.values).into_par_iter().for_each(|_| seal());
    });
    let verify = openssl_verify_rate(options.openssl_seconds);
    let load_after = load_average();

    println!(
        "seal: {}-bit key, {VALUE_LEN}-byte values, {} values per run, {threads} threads",
        key.modulus_bits(),
        options.values
    );
    println!("  load average before / after: {load_before} / {load_after}");
    println!("                      per wall-clock second    per CPU second");
    println!(
        "  1 thread:           {:>9.0} values/s        {:>9} values/s",
        single.wall,
        show(single.cpu)
    );
    println!(
        "  {threads} threads, total:   {:>9.0} values/s        {:>9} values/s per core",
        parallel.wall,
        show(parallel.cpu)
    );
    println!(
        "  scaling: {:.2}x one thread on {threads} threads ({:.0}% of linear) by wall clock",
        parallel.wall / single.wall,
        100.0 * parallel.wall / single.wall / threads as f64
    );

    match verify {
        Ok(verify) => {
            println!(
                "  openssl speed -seconds {} rsa4096: {verify:.0} verify/s (per CPU second, \
                 one core)",
                options.openssl_seconds
            );
            let ratio = |rate: Option<f64>| show(rate.map(|r| r * 100.0 / verify));
            println!(
                "  ratio to openssl verify, per CPU second: {}% on 1 thread, {}% per core on \
                 {threads} threads (target >= 80%)",
                ratio(single.cpu),
                ratio(parallel.cpu)
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("bench seal: no OpenSSL figure to compare with: {message}");
            ExitCode::FAILURE
        }
    }
}
