# shellcheck shell=sh
# A direct-routing site inside the lab VM, as namespaces on one bridge:
#   this namespace (the director): br0 192.168.0.1/24 and the VIP 192.168.0.3,
#     a sorry page on port 80 (what the VIP serves with fallback = "127.0.0.1:80");
#   real servers r1 (192.168.0.4) and r2 (192.168.0.5): the VIP on lo with
#     arp_ignore=1/arp_announce=2, a web page on port 80 naming the server;
#   clients c (192.168.0.50) and c2, c3, c4 (.51-.53): persistence sends one
#     client to one real, so several clients show the balancing.
# These are dist/examples/www.toml's addresses; they exist only inside the VM.
# Sourced by scripts/demo (crates/ipvsctl/tests/common/dr_site.rs builds the
# same site for the daemon's kernel tests); needs /sbin/ip (iproute2) and busybox.

IP=/sbin/ip
VIP=192.168.0.3

dr_setup() {
	$IP link add br0 type bridge
	$IP addr add 192.168.0.1/24 dev br0
	$IP addr add $VIP/32 dev br0
	$IP link set br0 up
	$IP link set lo up
	for host in c:192.168.0.50 c2:192.168.0.51 c3:192.168.0.52 c4:192.168.0.53 \
		r1:192.168.0.4 r2:192.168.0.5; do
		name=${host%%:*} addr=${host#*:}
		$IP netns add "$name"
		$IP link add "v-$name" type veth peer name eth0 netns "$name"
		$IP link set "v-$name" master br0 up
		$IP -n "$name" addr add "$addr/24" dev eth0
		$IP -n "$name" link set eth0 up
		$IP -n "$name" link set lo up
	done
	for r in r1 r2; do
		$IP netns exec $r sh -c "
			echo 1 > /proc/sys/net/ipv4/conf/all/arp_ignore
			echo 2 > /proc/sys/net/ipv4/conf/all/arp_announce
			echo 1 > /proc/sys/net/ipv4/conf/eth0/arp_ignore
			echo 2 > /proc/sys/net/ipv4/conf/eth0/arp_announce"
		$IP -n $r addr add $VIP/32 dev lo
		mkdir -p /tmp/www-$r
		echo "served by $r" >/tmp/www-$r/index.html
		echo "OK $r" >/tmp/www-$r/alive.html
	done
	mkdir -p /tmp/www-sorry
	echo "sorry, no server is up" >/tmp/www-sorry/index.html
	dr_start r1
	dr_start r2
	busybox httpd -f -p 80 -h /tmp/www-sorry &
}

# Starts (again) the web server of a real (`ip netns exec` execs: $! is httpd).
dr_start() {
	$IP netns exec "$1" busybox httpd -f -p 80 -h "/tmp/www-$1" &
	echo $! >"/tmp/httpd-$1.pid"
	sleep 0.1
}

# Stops the web server of a real (the real then refuses connections).
dr_stop() {
	kill "$(cat "/tmp/httpd-$1.pid")"
	sleep 0.2
}

# One request through the VIP from a client (default c); prints the body's
# first line.
dr_get() {
	printf 'GET / HTTP/1.0\r\nHost: www\r\n\r\n' |
		$IP netns exec "${1:-c}" busybox nc -w 3 $VIP 80 2>/dev/null | tr -d '\r' | sed '1,/^$/d' | head -1
}
