#!/bin/sh
# Runs inside a lab VM booted with --no-ipvs: `ipvsctl list` must say what
# to do, on stderr, with exit code 1. Prints libtest-style result lines.
# usage: no_ipvs.sh IPVSCTL
. "$(dirname "$0")/lib.sh"
expected="error: no IPVS in this kernel: modprobe ip_vs"
out=$("$1" list 2>&1)
code=$?
echo "$out"
[ "$code" = 1 ] && [ "$out" = "$expected" ]
ok=$?
[ $ok = 0 ] || echo "exit $code; wanted exit 1 and '$expected'"
result no_ipvs_names_the_fix $ok
finish
