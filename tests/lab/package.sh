#!/bin/sh
# The package's files at work in the lab VM, from the tree tests/package/check.sh
# extracted from the .deb: the packaged /usr/sbin/ipvsctl reading the packaged
# sample from the default directory /etc/ipvsctl (validate, plan, apply, list,
# remove, checked against ipvsadm -Sn), `ipvsctl run --config-dir` seeing a file
# added and removed at `ipvsctl reload`, then Pacemaker's ocf-tester on the
# packaged OCF agent (ocf.sh, given the agent's path).
# usage: package.sh TREE   (prints libtest-style lines)
set -u
tree=$1
here=$(cd "$(dirname "$0")" && pwd)
bin=$tree/usr/sbin/ipvsctl
. "$here/lib.sh"
ipvsadm -C

# The sample, copied as an operator would, read from /etc/ipvsctl by default.
mkdir -p /etc/ipvsctl
cp "$tree/etc/ipvsctl/site.toml.example" /etc/ipvsctl/site.toml
validated=$("$bin" validate 2>&1)
v=$?
"$bin" plan >/dev/null 2>&1
planned=$?
applied=$("$bin" apply 2>&1)
a=$?
table=$(ipvsadm -Sn)
listed=$("$bin" list 2>&1)
"$bin" plan >/dev/null 2>&1
after=$?
on_failure() {
	echo "validate $v: $validated; plan $planned (wanted 2); apply $a: $applied; plan after $after (wanted 0)"
	echo "ipvsadm -Sn:"; echo "$table"; echo "list:"; echo "$listed"
}
[ $v = 0 ] && [ "$validated" = "ok: 1 virtual service, 2 reals" ] && [ $planned = 2 ] && [ $a = 0 ] &&
	[ $after = 0 ] &&
	echo "$table" | grep -qx -- "-A -t 192.168.0.3:80 -s wlc -p 3600" &&
	echo "$table" | grep -qx -- "-a -t 192.168.0.3:80 -r 192.168.0.4:80 -g -w 1" &&
	echo "$table" | grep -qx -- "-a -t 192.168.0.3:80 -r 192.168.0.5:80 -g -w 1" &&
	[ "$(echo "$table" | wc -l)" = 3 ] &&
	echo "$listed" | grep -q "^TCP  192.168.0.3:80 wlc persistent 3600"
result packaged_binary_applies_the_packaged_sample_from_etc_ipvsctl $?

"$bin" remove >/dev/null 2>&1
removed=$?
table=$(ipvsadm -Sn)
on_failure() { echo "remove $removed; ipvsadm -Sn: $table"; }
[ $removed = 0 ] && [ -z "$table" ]
result remove_with_no_file_takes_out_what_etc_ipvsctl_declares $?
rm -rf /etc/ipvsctl

# The daemon on a directory: a file added is in at `ipvsctl reload`, a file
# removed is out at the next.
mkdir -p /tmp/site
service() { # FILE VIP REAL
	printf '[[virtual]]\naddress = "%s:80"\ncheck = { type = "none" }\n  [[virtual.real]]\n  address = "%s"\n' \
		"$2" "$3" >"/tmp/site/$1"
}
has() { ipvsadm -Sn | grep -qx -- "-a -t $1:80 -r $2:80 -g -w 1"; }
lacks() { ! ipvsadm -Sn | grep -q -- "-A -t $1:80"; }
service a.toml 10.0.0.1 10.0.0.2
"$bin" run --config-dir /tmp/site >/tmp/run.log 2>&1 &
daemon=$!
wait_for 30 has 10.0.0.1 10.0.0.2
first=$?
service b.toml 10.0.0.3 10.0.0.4
"$bin" reload >/dev/null 2>&1
wait_for 30 has 10.0.0.3 10.0.0.4
added=$?
rm /tmp/site/b.toml
"$bin" reload >/dev/null 2>&1
wait_for 30 lacks 10.0.0.3
gone=$?
on_failure() {
	echo "first $first, added $added, gone $gone (wanted 0 0 0); ipvsadm -Sn:"; ipvsadm -Sn
	echo "the daemon's log:"; tail -20 /tmp/run.log
}
[ $first = 0 ] && [ $added = 0 ] && [ $gone = 0 ] && has 10.0.0.1 10.0.0.2
result run_on_a_directory_reads_a_file_added_and_removed_at_reload $?
kill $daemon
wait $daemon 2>/dev/null
ipvsadm -C
on_failure() { :; }
finish
own=$?

# The packaged OCF agent under ocf-tester, with the packaged binary.
sh "$here/ocf.sh" "$bin" "$tree/usr/lib/ocf/resource.d/ipvsctl/ipvsctl"
ocf=$?
[ $own = 0 ] && [ $ocf = 0 ]
