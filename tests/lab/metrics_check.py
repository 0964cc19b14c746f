#!/usr/bin/python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Parses the scrape that crates/ipvsctl/tests/kernel_metrics.rs printed in
the lab with the Prometheus Python client's OpenMetrics parser (strict: a
malformed exposition raises), and checks its counters against the
`ipvsadm -Ln --stats --exact` output printed next to it.

Usage: metrics_check.py LOG   (the lab's output, with the marked blocks)
"""

import re
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def block(text, name):
    found = re.search(
        r"==== ipvsctl-metrics %s begin ====\n(.*?)==== ipvsctl-metrics %s end ====" % (name, name),
        text,
        re.S,
    )
    if not found:
        sys.exit("metrics_check: no %s block in the log" % name)
    return found.group(1)


def ipvsadm_stats(text):
    """(virtual, real or '') -> [conns, inpkts, outpkts, inbytes, outbytes]"""
    out, service = {}, None
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 7 and words[0] in ("TCP", "UDP", "SCTP"):
            service = "%s %s" % (words[0].lower(), words[1])
            out[(service, "")] = [int(w) for w in words[2:7]]
        elif len(words) >= 7 and words[0] == "->" and words[2].isdigit():
            out[(service, words[1])] = [int(w) for w in words[2:7]]
    return out


def main():
    log = open(sys.argv[1], encoding="utf-8", errors="replace").read()
    scrape, stats = block(log, "dr-scrape"), block(log, "dr-stats")
    samples = {}
    families = set()
    for family in text_string_to_metric_families(scrape):
        families.add((family.name, family.type))
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    for needed in [
        ("ipvsctl_real_bytes", "counter"),
        ("ipvsctl_real_bytes_per_second", "gauge"),
        ("ipvsctl_real_state", "gauge"),
        ("ipvsctl_check_duration_seconds", "histogram"),
        ("ipvsctl_reloads", "counter"),
        ("ipvsctl_build", "info"),
    ]:
        if needed not in families:
            sys.exit("metrics_check: no family %s of type %s" % needed)
    table = ipvsadm_stats(stats)
    if len(table) < 2:
        sys.exit("metrics_check: ipvsadm shows too little:\n" + stats)
    checked = 0
    for (virtual, real), numbers in table.items():
        prefix = "ipvsctl_real" if real else "ipvsctl_virtual"
        labels = {"virtual": virtual}
        if real:
            labels["real"] = real
        names = [
            ("%s_connections_total" % prefix, {}),
            ("%s_packets_total" % prefix, {"direction": "in"}),
            ("%s_packets_total" % prefix, {"direction": "out"}),
            ("%s_bytes_total" % prefix, {"direction": "in"}),
            ("%s_bytes_total" % prefix, {"direction": "out"}),
        ]
        for (name, extra), want in zip(names, numbers):
            key = (name, tuple(sorted({**labels, **extra}.items())))
            got = samples.get(key)
            if got != want:
                sys.exit("metrics_check: %s %s = %r, ipvsadm says %d" % (name, key[1], got, want))
            checked += 1
    print("metrics_check: the OpenMetrics parser read %d families; %d counters equal ipvsadm's"
          % (len(families), checked))


main()
