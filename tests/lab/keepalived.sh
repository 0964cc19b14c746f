#!/bin/sh
# The failover that drops nothing, with keepalived doing VRRP in both
# directors (dist/keepalived/director{1,2}.conf, notify scripts starting and
# stopping ipvsctl) and ipvsctl doing IPVS with connection sync: director 1's
# link is cut, the VIP moves to director 2, the held connection goes on and
# new ones succeed; the link comes back and director 1 takes over again.
# The site: directors.sh. usage: keepalived.sh IPVSCTL KEEPALIVED
set -u
bin=$1
keepalived=$2
here=$(cd "$(dirname "$0")" && pwd)
dist=$here/../../dist
resource=$dist/heartbeat/ipvsctl-heartbeat
notify=$dist/keepalived/ipvsctl-keepalived-notify
. "$here/directors.sh"

vip_on() { $IP -n "$1" addr show dev eth0 | grep -q "$VIP/32"; }

# keepalived refuses scripts on a path others may write (/tmp): /run/ka.
mkdir -p /run/ka
chmod 700 /run/ka
n=1
for d in d1 d2; do
	cat >/run/ka/notify-$d.sh <<EOF
#!/bin/sh
export IPVSCTL=$bin IPVSCTL_STATE_DIR=/run/$d IPVSCTL_LOG=/tmp/$d.log IPVSCTL_HEARTBEAT=$resource
exec sh $notify "\$1" /tmp/www.toml >>/tmp/notify-$d.log 2>&1
EOF
	chmod 700 /run/ka/notify-$d.sh
	sed "s#\"/usr/local/sbin/ipvsctl-keepalived-notify \([a-z]*\) /etc/ipvsctl/www.toml\"#\"/bin/sh /run/ka/notify-$d.sh \1\"#" \
		"$dist/keepalived/director$n.conf" >/run/ka/$d.conf
	$IP netns exec $d "$keepalived" -n -D -l --vrrp -f /run/ka/$d.conf \
		-p /run/ka/$d.pid -r /run/ka/$d-vrrp.pid >/tmp/keepalived-$d.log 2>&1 &
	n=$((n + 1))
done

# Director 2 stands by with the table in (and no daemon), as backup.
wait_for 30 vip_on d1 && wait_for 15 table_has d1 192.168.0.4:7000 && ! vip_on d2 &&
	wait_for 15 backup_runs d2 && wait_for 15 table_has d2 192.168.0.4:7000 &&
	[ "$(IPVSCTL_STATE_DIR=/run/d2 sh "$resource" /tmp/www.toml status)" = stopped ]
result keepalived_elects_director_1_and_ipvsctl_follows $?

traffic_start

t0=$(now)
$IP link set v-d1 down
wait_for 30 vip_on d2
t1=$(now)
echo "director 1's link cut: the VIP was on director 2 after $(((t1 - t0) * 10)) ms"
held_says after && wait_for 15 table_has d2 192.168.0.4:7000
result the_held_connection_goes_on_through_director_2 $?
sleep 2

wait_for 15 synced d1 || true
$IP link set v-d1 up
wait_for 30 vip_on d1 && wait_for 15 table_has d1 192.168.0.4:7000 && wait_for 10 sh -c "! $IP -n d2 addr show dev eth0 | grep -q $VIP/32"
result director_1_takes_over_again $?
held_says back
result the_held_connection_goes_on_after_the_failback $?
traffic_report

for d in d1 d2; do kill "$(cat /run/ka/$d.pid)" 2>/dev/null; done
finish
