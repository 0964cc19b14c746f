#!/bin/sh
# Pacemaker's ocf-tester (Debian's resource-agents) on dist/ocf/ipvsctl,
# with a real IPVS table: meta-data against ra-api-1.dtd, validate-all,
# monitor/start/stop and their OCF exit codes. usage: ocf.sh IPVSCTL
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
agent=$here/../../dist/ocf/ipvsctl
. "$here/lib.sh"
/sbin/ip link add lan0 type dummy
/sbin/ip addr add 10.0.0.254/24 dev lan0
/sbin/ip link set lan0 up
cat >/tmp/www.toml <<EOF
[[virtual]]
address = "10.0.0.1:80"
check = { type = "none" }
  [[virtual.real]]
  address = "10.0.0.2"
EOF
mkdir -p /tmp/ocf-root
export OCF_ROOT=/tmp/ocf-root
ocf-tester -n lvs -o config=/tmp/www.toml -o binary="$bin" -o state_dir=/run/ocf \
	-o log=/tmp/ocf.log "$agent"
code=$?
[ $code = 0 ] || { echo "ocf-tester exited $code; the log's end:"; tail -5 /tmp/ocf.log; }
result ocf_tester_passes $code

# Start puts the table in; stop takes the declared services out.
agent() { # action
	OCF_RESKEY_config=/tmp/www.toml OCF_RESKEY_binary="$bin" OCF_RESKEY_state_dir=/run/ocf \
		OCF_RESKEY_log=/tmp/ocf.log "$agent" "$1"
}
agent start
started=$?
table=$(ipvsadm -Sn)
agent monitor
monitor=$?
agent stop
stopped=$?
agent monitor
after=$?
[ $started = 0 ] && [ $monitor = 0 ] && [ $stopped = 0 ] && [ $after = 7 ] &&
	echo "$table" | grep -q -- "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1" && [ -z "$(ipvsadm -Sn)" ]
ok=$?
[ $ok = 0 ] || echo "start $started, monitor $monitor, stop $stopped, monitor after stop $after (wanted 0 0 0 7)"
result start_puts_the_table_in_and_stop_takes_it_out $ok
finish
