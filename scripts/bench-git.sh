#!/bin/sh
# Benchmarks seal-guard's git side on a generated 100,000-file repository:
#
#  1. listing the staged files (five staged changes) beside
#     `git diff --cached --name-only`; a hook runs on every commit, so the
#     target is at most twice git's wall time;
#  2. reading the history (the corpus commit plus a few hundred more that add,
#     change and delete files), in blobs read per second, before and after
#     `git repack`.
#
#     scripts/bench-git.sh [WORK_DIR]
#
# WORK_DIR (default: a new temporary folder) receives the corpus; it must not
# hold one already. FILES (100000), COMMITS (300) and GEN_CORPUS (the shared
# generator, ../shared/bench/gen_corpus.py from the repository root) can be
# set. Uses hyperfine when installed, else a loop timed with GNU date.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
corpus=$work/corpus
files=${FILES:-100000}
commits=${COMMITS:-300}
gen=${GEN_CORPUS:-$root/../shared/bench/gen_corpus.py}

# The machine's git configuration must not change the figures.
GIT_CONFIG_GLOBAL=/dev/null
GIT_CONFIG_NOSYSTEM=1
GIT_AUTHOR_NAME=bench
GIT_AUTHOR_EMAIL=bench@example.invalid
GIT_COMMITTER_NAME=bench
GIT_COMMITTER_EMAIL=bench@example.invalid
export GIT_CONFIG_GLOBAL GIT_CONFIG_NOSYSTEM GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL \
    GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL

say() {
    printf '\n== %s\n' "$*"
}

secret() {
    printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: bench-%s\n  namespace: dev\n' "$1"
    printf 'stringData:\n  password: not-a-real-password-%s\n' "$1"
}

# The Nth tracked manifest of the corpus (1-based, wrapping around).
manifest() {
    sed -n "$(( ($1 - 1) % manifest_count + 1 ))p" "$work/manifests.txt"
}

# Commits that look like a repository's life: each changes three manifests and
# adds one file; every tenth adds a plaintext Secret; every seventh deletes a
# file added five commits before.
make_history() {
    i=1
    while [ "$i" -le "$commits" ]; do
        for step in 1 2 3; do
            path=$(manifest $(( i * 131 + step * 7919 )))
            printf '# revision %s\n' "$i" >> "$corpus/$path"
            git -C "$corpus" add -- "$path"
        done
        added=history/added-$i.yaml
        mkdir -p "$corpus/history"
        if [ $(( i % 10 )) -eq 0 ]; then
            secret "$i" > "$corpus/$added"
        else
            printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c%s\n' "$i" \
                > "$corpus/$added"
        fi
        git -C "$corpus" add -- "$added"
        if [ $(( i % 7 )) -eq 0 ] && [ "$i" -gt 5 ]; then
            git -C "$corpus" rm -q -- "history/added-$(( i - 5 )).yaml"
        fi
        git -C "$corpus" commit -q --no-verify -m "revision $i"
        i=$(( i + 1 ))
    done
}

# Mean wall time of 20 runs of "$@", without hyperfine.
time_loop() {
    runs=20
    "$@" > /dev/null 2>&1 || true
    start=$(date +%s%N)
    n=0
    while [ "$n" -lt "$runs" ]; do
        "$@" > /dev/null 2>&1 || true
        n=$(( n + 1 ))
    done
    end=$(date +%s%N)
    printf '%8.1f ms  %s\n' "$(( (end - start) / runs / 1000 ))e-3" "$*"
}

say "machine"
printf '%s cores, %s\n' "$(nproc)" "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
git --version
if command -v hyperfine > /dev/null 2>&1; then hyperfine --version; fi

say "building (release)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
# The benchmark program builds against the crate's own lock file, so it measures
# the dependency versions the crate is tested with; the copy is removed after.
lock=$root/scripts/bench-git/Cargo.lock
cp "$root/Cargo.lock" "$lock"
trap 'rm -f "$lock"' EXIT
cargo build --release --quiet --manifest-path "$root/scripts/bench-git/Cargo.toml" \
    --target-dir "$root/target"
rm -f "$lock"
bench=$root/target/release/bench-git
seal_guard=$root/target/release/seal-guard

say "corpus: $files files, then $commits commits, in $corpus"
mkdir -p "$work"
python3 "$gen" "$corpus" --files "$files"
git -C "$corpus" ls-files -- 'clusters/*.yaml' > "$work/manifests.txt"
manifest_count=$(wc -l < "$work/manifests.txt")
make_history
printf '%s tracked files, %s commits, index %s bytes\n' \
    "$(git -C "$corpus" ls-files | wc -l)" "$(git -C "$corpus" rev-list --count HEAD)" \
    "$(wc -c < "$corpus/.git/index")"

for n in 1 2 3 4; do
    path=$(manifest $(( n * 9973 )))
    printf '# staged change\n' >> "$corpus/$path"
    git -C "$corpus" add -- "$path"
done
secret staged > "$corpus/clusters/dev/staged-secret.yaml"
git -C "$corpus" add -- clusters/dev/staged-secret.yaml
say "staged listing ($(git -C "$corpus" diff --cached --name-only | wc -l) files staged)"

# Run from inside the corpus: `seal-guard check --staged` reads the current folder.
cd "$corpus"
set -- "git diff --cached --name-only" "$bench staged $corpus"
# The real command joins in once the CLI has it.
if "$seal_guard" check --help 2> /dev/null | grep -q -- '--staged'; then
    set -- "$@" "$seal_guard check --staged"
fi
if command -v hyperfine > /dev/null 2>&1; then
    # -i: check --staged exits 1 here, since a Secret is staged.
    hyperfine --shell=none --warmup 3 --runs 30 -i "$@"
else
    for command in "$@"; do
        # Word splitting is wanted: each command is a program and its arguments.
        # shellcheck disable=SC2086
        time_loop $command
    done
fi

blobs=$(git rev-list --objects --no-object-names HEAD | git cat-file --batch-check='%(objecttype)' | grep -c '^blob$')
say "history ($blobs distinct blobs reachable from HEAD), loose objects"
"$bench" history "$corpus"
"$bench" history "$corpus"
say "history after git repack -adq"
git repack -adq
"$bench" history "$corpus"
"$bench" history "$corpus"
