#!/bin/sh
# Sealing throughput against `openssl speed rsa4096` on this machine; see benches/seal.rs.
# Arguments go to the bench: --values N (default 20000), --openssl-seconds S (default 3).
set -eu
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(uname -m), $(openssl version 2>/dev/null || echo 'no openssl')"
exec cargo bench --bench seal -- "$@"
