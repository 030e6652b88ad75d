#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""tun_inject.py - write raw IP packets into a tun device, as if they arrived on it.

    tun_inject.py IFNAME KIND:COUNT [KIND:COUNT ...] [-- COMMAND ...]

Opens /dev/net/tun, attaches to the existing tun IFNAME with IFF_TUN |
IFF_NO_PI (no packet-information prefix: every write is one bare IP packet),
writes COUNT packets of each KIND and prints "KIND COUNT PACKET_LEN" per
kind. The kernel hands each write to the stack through the device's receive
path, so it passes TC ingress with no link-layer header. With "-- COMMAND",
runs COMMAND while the device is still open (carrier up) and exits with its
status; otherwise exits 0.

Kinds:
  udp4  IPv4 UDP 198.18.5.2:4000 -> 198.18.5.9:5000, 20+8+32 = 60 bytes
  udp6  IPv6 UDP 2001:db8:5::2:4001 -> 2001:db8:5::9:5001, 40+8+16 = 64 bytes
"""
import fcntl
import logging
import os
import struct
import subprocess
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, UDP, IPv6, Raw  # noqa: E402

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def build(kind):
    if kind == "udp4":
        return IP(src="198.18.5.2", dst="198.18.5.9") / UDP(sport=4000, dport=5000) / Raw(b"t" * 32)
    if kind == "udp6":
        return (IPv6(src="2001:db8:5::2", dst="2001:db8:5::9") / UDP(sport=4001, dport=5001)
                / Raw(b"s" * 16))
    raise SystemExit(f"tun_inject.py: unknown kind {kind}")


def main():
    args = sys.argv[1:]
    command = []
    if "--" in args:
        i = args.index("--")
        args, command = args[:i], args[i + 1:]
    if len(args) < 2:
        raise SystemExit(__doc__)
    ifname = args[0]
    plan = []
    for arg in args[1:]:
        kind, count = arg.split(":")
        plan.append((kind, int(count), bytes(build(kind))))
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", ifname.encode(), IFF_TUN | IFF_NO_PI))
    for kind, count, raw in plan:
        for _ in range(count):
            if os.write(fd, raw) != len(raw):
                raise SystemExit("tun_inject.py: short write")
    for kind, count, raw in plan:
        print(kind, count, len(raw), flush=True)
    rc = subprocess.call(command) if command else 0
    os.close(fd)
    sys.exit(rc)


if __name__ == "__main__":
    main()
