#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""mkcapture.py OUT.pcap [--flows N] [--packets K] - the reference capture the
collector tests replay through rfm.

N flows (default 600) between local hosts in 198.18.0.0/15 / 2001:db8:1::/64
and remote hosts in the documentation prefixes the test's enrichment data
covers (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8:100::/48):
IPv4 and IPv6, TCP (every 4th one closed with FIN), UDP, ICMP echo and
ICMPv6 echo, 1..K packets each (default 6) of varied sizes and DSCP, over a
few seconds of capture time starting at 2023-11-14 22:13:20 UTC. Nothing is
sent anywhere: the file is only read by `rfm replay`.
"""
import argparse

from scapy.all import ICMP, IP, TCP, UDP, Ether, ICMPv6EchoRequest, IPv6, Raw, wrpcap

T0 = 1700000000.0
REMOTE4 = ["192.0.2.%d", "198.51.100.%d", "203.0.113.%d"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--flows", type=int, default=600)
    ap.add_argument("--packets", type=int, default=6)
    a = ap.parse_args()

    pkts = []
    for i in range(a.flows):
        v6 = i % 3 == 2
        kind = i % 4  # 0 tcp, 1 udp, 2 icmp, 3 tcp
        npk = 1 + (i * 7) % a.packets
        host = 1 + i % 250
        if v6:
            src, dst = f"2001:db8:1::{i + 1:x}", f"2001:db8:100::{host:x}"
            l3 = IPv6(src=src, dst=dst, tc=(i % 8) << 5)
        else:
            src = f"198.18.{1 + i // 250}.{host}"
            dst = REMOTE4[i % 3] % host
            l3 = IP(src=src, dst=dst, tos=(i % 8) << 5)
        for j in range(npk):
            t = T0 + i * 0.005 + j * 0.020
            pay = Raw(b"x" * (10 + (i * 13 + j * 31) % 900))
            if kind in (0, 3):
                flags = "S" if j == 0 else "PA"
                if kind == 0 and j == npk - 1 and npk > 1 and i % 8 == 0:
                    flags = "FA"
                l4 = TCP(sport=40000 + i % 20000, dport=443 if i % 2 else 80, flags=flags)
            elif kind == 1:
                l4 = UDP(sport=50000 + i % 10000, dport=53 if i % 2 else 123)
            elif v6:
                l4 = ICMPv6EchoRequest(id=i, seq=j)
            else:
                l4 = ICMP(type=8, code=0, id=i, seq=j)
            p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / l3 / l4 / pay
            p.time = t
            pkts.append(p)
    pkts.sort(key=lambda p: p.time)
    wrpcap(a.out, pkts)
    print(f"{a.out}: {len(pkts)} packets, {a.flows} flows")


if __name__ == "__main__":
    main()
