#!/bin/sh
# Pacemaker's ocf-tester (Debian's resource-agents) on scripts/ocf/ipvsctl,
# with a real IPVS table: meta-data against ra-api-1.dtd, validate-all,
# monitor/start/stop and their OCF exit codes. usage: ocf.sh IPVSCTL
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
agent=$here/../../scripts/ocf/ipvsctl
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
if [ $code = 0 ]; then
	echo "test ocf_tester_passes ... ok"
else
	echo "test ocf_tester_passes ... FAILED (exit $code)"
	tail -5 /tmp/ocf.log
fi
# Start puts the table in; stop takes the declared services out.
OCF_RESKEY_config=/tmp/www.toml OCF_RESKEY_binary="$bin" OCF_RESKEY_state_dir=/run/ocf \
	OCF_RESKEY_log=/tmp/ocf.log "$agent" start
started=$?
table=$(ipvsadm -Sn)
OCF_RESKEY_config=/tmp/www.toml OCF_RESKEY_binary="$bin" OCF_RESKEY_state_dir=/run/ocf "$agent" monitor
monitor=$?
OCF_RESKEY_config=/tmp/www.toml OCF_RESKEY_binary="$bin" OCF_RESKEY_state_dir=/run/ocf "$agent" stop
stopped=$?
OCF_RESKEY_config=/tmp/www.toml OCF_RESKEY_binary="$bin" OCF_RESKEY_state_dir=/run/ocf "$agent" monitor
after=$?
if [ $started = 0 ] && [ $monitor = 0 ] && [ $stopped = 0 ] && [ $after = 7 ] &&
	echo "$table" | grep -q -- "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1" && [ -z "$(ipvsadm -Sn)" ]; then
	echo "test start_puts_the_table_in_and_stop_takes_it_out ... ok"
	ok2=0
else
	echo "test start_puts_the_table_in_and_stop_takes_it_out ... FAILED ($started $monitor $stopped $after)"
	ok2=1
fi
passed=0
[ $code = 0 ] && passed=$((passed + 1))
[ $ok2 = 0 ] && passed=$((passed + 1))
echo "test result: $([ $passed = 2 ] && echo ok || echo FAILED). $passed passed; $((2 - passed)) failed; 0 ignored"
[ $passed = 2 ]
