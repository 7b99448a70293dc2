#!/bin/sh
# core_demo_e2e: conclave-core-demo on a fresh simulated key ceremony in a
# temporary directory, entirely in process (no --conclave: the in-process
# encryption and audit::VerifyExport paths; make_demo_e2e runs the CLI ones).
# usage: core_demo_e2e.sh CONCLAVE_CEREMONY CONCLAVE_CORE_DEMO
set -eu
ceremony_bin=$1
demo_bin=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/conclave-core-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
printf 'core demo e2e passphrase\n' >"$tmp/passphrase"
chmod 600 "$tmp/passphrase"
"$ceremony_bin" simulate --orgs 5 --threshold 3 \
  --editors 3:2,3:2,1:1,1:1,1:1 --work-factor 10 \
  --out "$tmp/ceremony" --passphrase-file "$tmp/passphrase" >/dev/null
"$demo_bin" --dir "$tmp/demo" --ceremony "$tmp/ceremony" \
  --passphrase-file "$tmp/passphrase"
