#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""frames.py - send hand-built Ethernet frames out of an interface (AF_PACKET).

    frames.py IFACE DST_MAC KIND:COUNT [KIND:COUNT ...]

Sends COUNT copies of each KIND, in the order given, with one socket, and
prints one line per kind: "KIND COUNT FRAME_LEN", FRAME_LEN being the length
of one frame as written to the socket (no FCS, no padding: veth adds none).
Every kind has its own UDP destination port, so its events can be told apart.

Kinds (test addresses 198.18.0.0/15 and 2001:db8::/32 only):
  udp4  IPv4 UDP 198.18.0.1:1000 -> 198.18.0.2:2000        14+20+8+18 = 60
  udp6  IPv6 UDP 2001:db8::1:1001 -> 2001:db8::2:2001       14+40+8+10 = 72
  arp   ARP request who-has 198.18.0.2                      14+28      = 42
  vlan  802.1Q VLAN 100, IPv4 UDP :1002 -> :2002            14+4+20+8+50 = 96
  qinq  802.1ad outer VLAN 200, 802.1Q inner 300, IPv4 UDP  14+8+20+8+100 = 150
        :1003 -> :2003
"""
import logging
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import ARP, IP, UDP, Dot1AD, Dot1Q, Ether, IPv6, Raw, conf  # noqa: E402

SRC4, DST4 = "198.18.0.1", "198.18.0.2"
SRC6, DST6 = "2001:db8::1", "2001:db8::2"


def build(kind, dst):
    if kind == "udp4":
        return Ether(dst=dst) / IP(src=SRC4, dst=DST4) / UDP(sport=1000, dport=2000) / Raw(b"4" * 18)
    if kind == "udp6":
        return Ether(dst=dst) / IPv6(src=SRC6, dst=DST6) / UDP(sport=1001, dport=2001) / Raw(b"6" * 10)
    if kind == "arp":
        return Ether(dst=dst) / ARP(op=1, psrc=SRC4, pdst=DST4)
    if kind == "vlan":
        return (Ether(dst=dst) / Dot1Q(vlan=100) / IP(src=SRC4, dst=DST4)
                / UDP(sport=1002, dport=2002) / Raw(b"v" * 50))
    if kind == "qinq":
        return (Ether(dst=dst, type=0x88A8) / Dot1AD(vlan=200) / Dot1Q(vlan=300)
                / IP(src=SRC4, dst=DST4) / UDP(sport=1003, dport=2003) / Raw(b"q" * 100))
    raise SystemExit(f"frames.py: unknown kind {kind}")


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    iface, dst = sys.argv[1], sys.argv[2]
    plan = []
    for arg in sys.argv[3:]:
        kind, count = arg.split(":")
        plan.append((kind, int(count), bytes(build(kind, dst))))
    sock = conf.L2socket(iface=iface)
    try:
        for kind, count, raw in plan:
            for _ in range(count):
                sock.send(raw)
    finally:
        sock.close()
    for kind, count, raw in plan:
        print(kind, count, len(raw))


if __name__ == "__main__":
    main()
