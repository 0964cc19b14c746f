#!/bin/sh
# Runs inside a lab VM booted with --no-ipvs: `ipvsctl list` must say what
# to do, on stderr, with exit code 1. Prints libtest-style result lines.
# usage: no_ipvs.sh IPVSCTL
expected="error: no IPVS in this kernel: modprobe ip_vs"
out=$("$1" list 2>&1)
code=$?
echo "$out"
if [ "$code" = 1 ] && [ "$out" = "$expected" ]; then
	echo "test no_ipvs_names_the_fix ... ok"
	echo "test result: ok. 1 passed; 0 failed; 0 ignored"
else
	echo "test no_ipvs_names_the_fix ... FAILED (exit $code; wanted exit 1 and '$expected')"
	echo "test result: FAILED. 0 passed; 1 failed; 0 ignored"
	exit 1
fi
