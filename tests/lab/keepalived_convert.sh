#!/bin/sh
# `ipvsctl convert keepalived.conf` against keepalived itself: keepalived's
# checker process installs the services of a keepalived.conf (DR with
# persistence and a netmask, NAT, a firewall mark, UDP over tunnels, from an
# include; the connection timeouts of global_defs), ipvsctl applies the
# converted TOML, and the two tables (`ipvsadm -Sn`) and timeouts must be
# the same. The configuration has no checkers, so keepalived puts every real
# in at once, as `ipvsctl apply` does.
# usage: keepalived_convert.sh IPVSCTL KEEPALIVED DATA_DIR
set -u
bin=$1
keepalived=$2
data=$3
. "$(dirname "$0")/lib.sh"

work=/run/kaconv
rm -rf "$work"
mkdir -p "$work"
cp -r "$data/site.conf" "$data/site.d" "$work/"
ipvsadm -C

services() { [ "$(ipvsadm -Sn | grep -c '^-A')" = "$1" ] && [ "$(ipvsadm -Sn | grep -c '^-a')" = "$2" ]; }

# keepalived: only its checker process (no VRRP in this VM).
"$keepalived" -n -D -l --check -f "$work/site.conf" -p "$work/ka.pid" -c "$work/checkers.pid" \
	>"$work/keepalived.log" 2>&1 &
ka=$!
wait_for 30 services 4 8
result keepalived_installs_the_sample_site $?
ipvsadm -Sn | sort >"$work/keepalived.table"
ipvsadm -L --timeout >"$work/keepalived.timeouts"
kill "$ka"
wait "$ka" 2>/dev/null
ipvsadm -C
# Other timeouts (0 would mean "unchanged"): ipvsctl must set keepalived's again.
ipvsadm --set 11 12 13

"$bin" convert "$work/site.conf" >"$work/site.toml" 2>"$work/convert.err"
result convert_reads_the_keepalived_conf $?
"$bin" validate "$work/site.toml" >/dev/null 2>&1
result the_converted_toml_validates $?
"$bin" apply "$work/site.toml" >"$work/apply.out" 2>&1
result ipvsctl_applies_the_converted_toml $?
ipvsadm -Sn | sort >"$work/ipvsctl.table"
ipvsadm -L --timeout >"$work/ipvsctl.timeouts"

on_failure() {
	echo "--- keepalived's table, then ipvsctl's"
	cat "$work/keepalived.table"
	echo "---"
	cat "$work/ipvsctl.table"
	diff "$work/keepalived.timeouts" "$work/ipvsctl.timeouts"
	cat "$work/convert.err" "$work/apply.out"
	tail -20 "$work/keepalived.log"
}
[ -s "$work/ipvsctl.table" ] && cmp -s "$work/keepalived.table" "$work/ipvsctl.table"
result ipvsctl_installs_the_same_table_as_keepalived $?
grep -q "900 60 120" "$work/keepalived.timeouts" && cmp -s "$work/keepalived.timeouts" "$work/ipvsctl.timeouts"
result ipvsctl_sets_the_same_timeouts_as_keepalived $?
ipvsadm -C
finish
