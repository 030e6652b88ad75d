#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""traffic.py - send flows of known size out of an interface (AF_PACKET).

    traffic.py IFACE DST_MAC FLOW [FLOW ...]
    traffic.py --save FILE DST_MAC FLOW [FLOW ...]
    traffic.py --replay FILE IFACE

--save builds the frames and writes them to FILE without sending; --replay
sends a saved FILE and reports the same way, without loading scapy, so it
starts in milliseconds (for tests that must send at a chosen moment).

Each FLOW is a comma-separated list of key=value settings:

  name=N        label printed in the report (required)
  proto=P       udp, tcp or icmp (icmp means ICMPv6 for IPv6 addresses)
  src=A dst=A   addresses; IPv6 when they contain ':' (test ranges only:
                198.18.0.0/15, 2001:db8::/32)
  sport=, dport=  ports (udp, tcp)
  type=, code=  ICMP type and code (default 8, 0: echo request)
  count=N       packets
  payload=B[+S] payload bytes of the first packet, S more for each next one
                (default 0): packet i carries B + i*S bytes
  dscp=D[/R]    DSCP of the first packet, R of the others (default 0)
  tcp=syn-data-fin  TCP flags: SYN first, FIN|ACK last, PSH|ACK between
                (default: PSH|ACK on every packet)
  fast=1        send COUNT copies of the first packet as fast as possible
                (a plain AF_PACKET socket, no per-packet scapy work)

Flows are sent one after the other, each in packet order, with one socket.
Every send is checked to have written the whole frame. One line per flow is
printed: "NAME COUNT IP_OCTETS FRAME_BYTES", the sums over the packets as
written (IP_OCTETS: IP header + payload; no padding is added by veth).
"""
import json
import logging
import socket
import sys

KEYS = {"name", "proto", "src", "dst", "sport", "dport", "type", "code", "count", "payload",
        "dscp", "tcp", "fast"}


def parse(arg):
    spec = {}
    for item in arg.split(","):
        key, sep, value = item.partition("=")
        if not sep or key not in KEYS:
            raise SystemExit(f"traffic.py: bad setting {item!r} in {arg!r}")
        spec[key] = value
    for key in ("name", "proto", "src", "dst", "count"):
        if key not in spec:
            raise SystemExit(f"traffic.py: {arg!r} lacks {key}=")
    return spec


def frames(spec, dst_mac):
    """The frames of one flow, as bytes, and their IP lengths."""
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import ICMP, IP, TCP, UDP, Ether, ICMPv6Unknown, IPv6, Raw

    v6 = ":" in spec["src"]
    count = int(spec["count"])
    base, _, step = spec.get("payload", "0").partition("+")
    first_dscp, _, rest_dscp = spec.get("dscp", "0").partition("/")
    out = []
    for i in range(count if spec.get("fast") != "1" else 1):
        dscp = int(first_dscp) if i == 0 else int(rest_dscp or first_dscp)
        if v6:
            ip = IPv6(src=spec["src"], dst=spec["dst"], tc=dscp << 2)
        else:
            ip = IP(src=spec["src"], dst=spec["dst"], tos=dscp << 2, id=i + 1)
        proto = spec["proto"]
        if proto == "udp":
            l4 = UDP(sport=int(spec["sport"]), dport=int(spec["dport"]))
        elif proto == "tcp":
            flags = "PA"
            if spec.get("tcp") == "syn-data-fin":
                flags = "S" if i == 0 else "FA" if i == count - 1 else "PA"
            l4 = TCP(sport=int(spec["sport"]), dport=int(spec["dport"]), flags=flags,
                     seq=1000 + i, ack=1 if "A" in flags else 0)
        elif proto == "icmp":
            kind, code = int(spec.get("type", "8")), int(spec.get("code", "0"))
            if v6:
                l4 = ICMPv6Unknown(type=kind, code=code)
            else:
                l4 = ICMP(type=kind, code=code, id=7, seq=i)
        else:
            raise SystemExit(f"traffic.py: unknown proto {proto}")
        payload = b"p" * (int(base) + i * int(step or 0))
        frame = bytes(Ether(dst=dst_mac) / ip / l4 / Raw(payload))
        ip_len = len(frame) - 14
        out.append((frame, ip_len))
    return out


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--replay":
        with open(sys.argv[2]) as f:
            plan = [(spec, [(bytes.fromhex(h), n) for h, n in built])
                    for spec, built in json.load(f)]
        send(sys.argv[3], plan)
        return
    if len(sys.argv) < 4 or (sys.argv[1] == "--save" and len(sys.argv) < 5):
        raise SystemExit(__doc__)
    if sys.argv[1] == "--save":
        dst_mac = sys.argv[3]
        plan = [(spec, [(f.hex(), n) for f, n in frames(spec, dst_mac)])
                for spec in map(parse, sys.argv[4:])]
        with open(sys.argv[2], "w") as f:
            json.dump(plan, f)
        return
    iface, dst_mac = sys.argv[1], sys.argv[2]
    send(iface, [(spec, frames(spec, dst_mac)) for spec in map(parse, sys.argv[3:])])


def send(iface, plan):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    report = []
    try:
        sock.bind((iface, 0))
        for spec, built in plan:
            count = int(spec["count"])
            if spec.get("fast") == "1":
                frame, ip_len = built[0]
                write = sock.send
                for _ in range(count):
                    if write(frame) != len(frame):
                        raise SystemExit("traffic.py: short send")
                report.append((spec["name"], count, count * ip_len, count * len(frame)))
                continue
            for frame, _ in built:
                if sock.send(frame) != len(frame):
                    raise SystemExit("traffic.py: short send")
            report.append((spec["name"], count, sum(n for _, n in built),
                           sum(len(f) for f, _ in built)))
    finally:
        sock.close()
    for line in report:
        print(*line)


if __name__ == "__main__":
    main()
