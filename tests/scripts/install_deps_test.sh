#!/usr/bin/env bash
# scripts/install-deps on a machine that has every package: it prints nothing, exits 0 and never calls apt-get
# or sudo (both replaced here by stand-ins that record a call). Skipped (exit 77) where a package is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
if ! "$root/scripts/install-deps" --check >/dev/null; then
  echo "skipped: packages missing here"; exit 77
fi
stand_ins="$(mktemp -d)"
trap 'rm -rf "$stand_ins"' EXIT
for tool in apt-get apt sudo; do
  printf '#!/bin/sh\necho "%s $*" >> "%s/calls"\nexit 1\n' "$tool" "$stand_ins" > "$stand_ins/$tool"
  chmod +x "$stand_ins/$tool"
done
output="$(PATH="$stand_ins:$PATH" "$root/scripts/install-deps" 2>&1)" || { echo "FAIL: exit status $?: $output"; exit 1; }
if [ -n "$output" ]; then echo "FAIL: printed: $output"; exit 1; fi
if [ -e "$stand_ins/calls" ]; then echo "FAIL: called $(cat "$stand_ins/calls")"; exit 1; fi
echo "ok: silent, no apt-get or sudo"
