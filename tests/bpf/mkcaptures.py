#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""mkcaptures.py OUTDIR - captures and expected flow records for `rfm replay`.

Writes capture files (pcap with ns and us timestamps in both byte orders,
pcapng, Ethernet, raw IP, Linux cooked v1/v2) into OUTDIR/captures and one
directory per replay run into OUTDIR/runs/NAME:

  args          the arguments after `rfm replay`, one per line (paths relative
                to OUTDIR)
  exit          the exit code expected (0 when absent)
  stderr        a string standard error must contain (optional)
  expected.jsonl  the exact flow records expected (optional), one JSON object
                per line, compared as a set of canonical JSON objects
  bounds        "MIN MAX RATE": the sampled packets must be within [MIN, MAX]
                and every record's sampling RATE (optional)
  output        where the records go when the run uses --output (optional)

The expected records are computed here, from what each packet was built
with (addresses, ports, flags, DSCP, IP length, time), by a small model of
the flow table's documented rules (src/flow_table.h): idle, active and TCP
end (FIN/RST + grace) timeouts checked before each packet on capture time,
times clamped so they never go backwards, a forced end (4) for what is left.
Nothing is read back from the classifier or the C code.

Test addresses: 198.18.0.0/15 and 2001:db8::/32 only. Needs scapy
(/usr/bin/python3 on Debian with python3-scapy).
"""
import ipaddress
import json
import math
import os
import struct
import sys

from scapy.all import (ARP, ICMP, IP, SCTP, TCP, UDP, Dot1AD, Dot1Q, Ether,
                       ICMPv6EchoRequest, IPOption_Router_Alert, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrRouting, PadN, Raw, fragment)

T0_NS = 1_700_000_000 * 10**9  # 2023-11-14T22:13:20Z
MS = 10**6
S = 10**9

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_IEEE802_11 = 105
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

MAC = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")

RECORD_KEYS = ("ifindex direction ip_version protocol src_addr dst_addr src_port dst_port "
               "icmp_type icmp_code vlan_id tcp_flags dscp packets octets sampling start_ms "
               "end_ms end_reason other_ifindex next_hop").split()


class Pkt:
    """One captured packet: link-layer bytes, time, and what the flow gets."""

    def __init__(self, t_ns, data, flow, wire_len, reaches):
        self.t_ns = t_ns
        self.data = data
        self.flow = flow  # dict of key and per-packet fields, or None: no event
        self.wire_len = wire_len
        self.reaches = reaches  # runs through the classifier (counts for sampling)


class Capture:
    """A capture file being built; packets stay in the order added."""

    def __init__(self, name, linktype=LINKTYPE_ETHERNET, fmt="pcap-ns", endian="<",
                 snaplen=65535):
        self.name, self.linktype, self.fmt = name, linktype, fmt
        self.endian, self.snaplen = endian, snaplen
        self.packets = []

    def add(self, t_ns, data, flow=None, wire_len=None, reaches=True):
        if self.fmt == "pcap-us":
            t_ns -= t_ns % 1000  # what the file can hold
        self.packets.append(Pkt(t_ns, bytes(data), flow,
                                len(data) if wire_len is None else wire_len, reaches))

    def path(self):
        return os.path.join("captures", self.name)

    def write(self, outdir, cut_at=None):
        recs = []
        for p in self.packets:
            cap = p.data[:self.snaplen]
            recs.append((p.t_ns, cap, p.wire_len))
        if self.fmt == "pcapng":
            blob = pcapng(self.linktype, self.snaplen, recs)
        else:
            blob = pcap(self.linktype, self.snaplen, recs, self.fmt == "pcap-ns", self.endian)
        if cut_at is not None:
            blob = blob[:cut_at]
        with open(os.path.join(outdir, self.path()), "wb") as f:
            f.write(blob)
        return blob


def pcap(linktype, snaplen, recs, nano, e):
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for t_ns, cap, wire in recs:
        frac = t_ns % S if nano else (t_ns % S) // 1000
        out.append(struct.pack(e + "IIII", t_ns // S, frac, len(cap), wire) + cap)
    return b"".join(out)


def pcapng(linktype, snaplen, recs):
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = len(body) + 12
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    # if_tsresol (option 9) = 9: timestamps in nanoseconds; then opt_endofopt.
    opts = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
    idb = block(1, struct.pack("<HHI", linktype, 0, snaplen) + opts)
    out = [shb, idb]
    for t_ns, cap, wire in recs:
        out.append(block(6, struct.pack("<IIIII", 0, t_ns >> 32, t_ns & 0xFFFFFFFF, len(cap),
                                         wire) + cap))
    return b"".join(out)


# --- packets and their flow fields -------------------------------------------------

def flow(ip, proto, sport=0, dport=0, itype=0, icode=0, vlan=0, flags=0):
    """Flow fields of an IP packet built by scapy: key, flags, DSCP, IP length."""
    tos = ip.tos if ip.version == 4 else ip.tc
    return dict(ip_version=ip.version, protocol=proto,
                src_addr=str(ipaddress.ip_address(ip.src)),
                dst_addr=str(ipaddress.ip_address(ip.dst)), src_port=sport, dst_port=dport,
                icmp_type=itype, icmp_code=icode, vlan_id=vlan, tcp_flags=flags,
                dscp=tos >> 2, octets=len(bytes(ip)))


def eth(l3, vlans=()):
    """Ethernet frame around l3, with 802.1ad/802.1Q tags (outer first)."""
    f = Ether(**MAC)
    for i, vid in enumerate(vlans):
        f = f / (Dot1AD(vlan=vid) if i == 0 and len(vlans) > 1 else Dot1Q(vlan=vid))
    return f / l3


def v4(n, h):
    return "198.18.%d.%d" % (n, h)


def v6(n, h):
    return "2001:db8:%x::%x" % (n, h)


def tcp_pkt(src, dst, sport, dport, flags, payload=0, tos=0, v=4):
    ip = IP(src=src, dst=dst, tos=tos) if v == 4 else IPv6(src=src, dst=dst, tc=tos)
    ip = ip / TCP(sport=sport, dport=dport, flags=flags) / Raw(b"t" * payload)
    ip = ip.__class__(bytes(ip))
    return ip, flow(ip, 6, sport, dport, flags=flags)


def udp_pkt(src, dst, sport, dport, payload=10, tos=0, v=4, vlan=0):
    ip = IP(src=src, dst=dst, tos=tos) if v == 4 else IPv6(src=src, dst=dst, tc=tos)
    ip = ip / UDP(sport=sport, dport=dport) / Raw(b"u" * payload)
    ip = ip.__class__(bytes(ip))
    return ip, flow(ip, 17, sport, dport, vlan=vlan)


# --- the model of the flow table ------------------------------------------------

KEY_FIELDS = ("ip_version", "protocol", "src_addr", "dst_addr", "src_port", "dst_port",
              "icmp_type", "icmp_code", "vlan_id")


def simulate(captures, idle=15000, active=60000, grace=2000, tcp_end=True, rate=1,
             systematic=False, ifindex=1, direction="ingress", max_flows=1000000):
    flows, out = {}, []
    last = None
    seen = 0  # packets through the program, for systematic sampling
    seq = 0  # order of updates: the least recently seen flow goes when the table is full

    def closing(f):
        return tcp_end and f["protocol"] == 6 and f["tcp_flags"] & (FIN | RST)

    def deadline(f):
        quiet = f["end_ms"] + (grace if closing(f) else idle)
        act = f["start_ms"] + active
        if act < quiet:
            return act, 2
        return quiet, 3 if closing(f) else 1

    def end(key, reason):
        f = dict(flows.pop(key))
        del f["seq"]
        rec = dict(f, end_reason=reason, ifindex=ifindex, direction=direction, sampling=rate,
                   other_ifindex=0, next_hop=None)
        assert sorted(rec) == sorted(RECORD_KEYS), sorted(rec)
        out.append(rec)

    for cap in captures:
        for p in cap.packets:
            t = p.t_ns // MS
            if last is not None and t < last:
                t = last
            last = t
            for key in list(flows):
                d, reason = deadline(flows[key])
                if d <= t:
                    end(key, reason)
            if not p.reaches:
                continue
            sampled = seen % rate == 0 if systematic else rate == 1
            seen += 1
            if not sampled or p.flow is None:
                continue
            key = tuple(p.flow[k] for k in KEY_FIELDS)
            f = flows.get(key)
            if f is None:
                if len(flows) >= max_flows:
                    # Least recently seen; on a tie, one without FIN/RST first.
                    end(min(flows, key=lambda k: (flows[k]["end_ms"], bool(closing(flows[k])),
                                                  flows[k]["seq"])), 5)
                f = flows[key] = {k: p.flow[k] for k in KEY_FIELDS}
                f.update(packets=0, octets=0, tcp_flags=0, dscp=p.flow["dscp"], start_ms=t)
            f["packets"] += 1
            f["octets"] += p.flow["octets"]
            f["tcp_flags"] |= p.flow["tcp_flags"]
            f["end_ms"] = t
            f["seq"] = seq
            seq += 1
    for key in list(flows):
        end(key, 4)
    return out


# --- the captures ------------------------------------------------------------------

def build_eth():
    """Every parser case on Ethernet, ns timestamps, little-endian pcap."""
    c = Capture("eth.pcap")
    t = T0_NS

    # TCP: handshake, data, FIN both ways: both flows end 3 (grace passes).
    cl, sv = v4(1, 1), v4(1, 2)
    conv = [(cl, sv, 40001, 443, SYN, 0), (sv, cl, 443, 40001, SYN | ACK, 0),
            (cl, sv, 40001, 443, ACK, 0), (cl, sv, 40001, 443, PSH | ACK, 500),
            (sv, cl, 443, 40001, ACK, 0), (sv, cl, 443, 40001, PSH | ACK, 1000),
            (cl, sv, 40001, 443, FIN | ACK, 0), (sv, cl, 443, 40001, FIN | ACK, 0),
            (cl, sv, 40001, 443, ACK, 0)]
    for i, (s, d, sp, dp, fl, n) in enumerate(conv):
        ip, fw = tcp_pkt(s, d, sp, dp, fl, n, tos=0x28)
        c.add(t + i * MS + 123, eth(ip), fw)
    # TCP: SYN answered by RST: the RST side ends 3, the SYN side idles out.
    for i, (s, d, sp, dp, fl) in enumerate([(cl, sv, 40002, 25, SYN),
                                            (sv, cl, 25, 40002, RST | ACK)]):
        ip, fw = tcp_pkt(s, d, sp, dp, fl)
        c.add(t + 20 * MS + i * MS, eth(ip), fw)

    # UDP, DSCP of the first packet (EF) kept; times with sub-ms parts floor.
    t = T0_NS + 1 * S
    for i, tos in enumerate([0xB8, 0x00, 0x20, 0xB8]):
        ip, fw = udp_pkt(v4(2, 1), v4(2, 2), 5000, 53, payload=30 + i, tos=tos)
        c.add(t + i * 100 * MS + 999_999, eth(ip), fw)

    # ICMP: echo request and destination unreachable: two flows.
    t = T0_NS + 2 * S
    for i, (ty, co) in enumerate([(8, 0), (3, 1), (8, 0)]):
        ip = IP(src=v4(3, 1), dst=v4(3, 2)) / ICMP(type=ty, code=co) / Raw(b"i" * 20)
        ip = IP(bytes(ip))
        c.add(t + i * 10 * MS, eth(ip), flow(ip, 1, itype=ty, icode=co))

    # SCTP (RFC 9260 common header) and UDP-Lite (RFC 3828, UDP-shaped header).
    t = T0_NS + 3 * S
    ip = IP(src=v4(4, 1), dst=v4(4, 2)) / SCTP(sport=36412, dport=38412) / Raw(b"s" * 16)
    ip = IP(bytes(ip))
    c.add(t, eth(ip), flow(ip, 132, 36412, 38412))
    lite = struct.pack("!HHHH", 7000, 7001, 8, 0) + b"l" * 12
    ip = IP(bytes(IP(src=v4(4, 1), dst=v4(4, 2), proto=136) / Raw(lite)))
    c.add(t + MS, eth(ip), flow(ip, 136, 7000, 7001))
    c.add(t + 2 * MS, eth(ip), flow(ip, 136, 7000, 7001))

    # IPv4 with options (Router Alert: IHL 6): ports found past them.
    ip = IP(src=v4(5, 1), dst=v4(5, 2), options=[IPOption_Router_Alert()]) / UDP(
        sport=1234, dport=5678) / Raw(b"o" * 8)
    ip = IP(bytes(ip))
    assert ip.ihl == 6
    c.add(T0_NS + 4 * S, eth(ip), flow(ip, 17, 1234, 5678))

    # IPv4 fragments: the first has the UDP header (ports), the others not
    # (ports 0): two flows.
    t = T0_NS + 5 * S
    big = IP(src=v4(6, 1), dst=v4(6, 2), id=777) / UDP(sport=4000, dport=4001) / Raw(
        b"f" * 3000)
    frags = fragment(big, fragsize=1200)
    assert len(frags) == 3
    for i, fr in enumerate(frags):
        fr = IP(bytes(fr))
        first = fr.frag == 0
        c.add(t + i * MS, eth(fr), flow(fr, 17, 4000 if first else 0, 4001 if first else 0))

    # IPv6 TCP, UDP, ICMPv6.
    t = T0_NS + 6 * S
    ip, fw = tcp_pkt(v6(7, 1), v6(7, 2), 50000, 80, SYN, v=6, tos=0x48)
    c.add(t, eth(ip), fw)
    ip, fw = tcp_pkt(v6(7, 1), v6(7, 2), 50000, 80, ACK | PSH, 100, v=6)
    c.add(t + MS, eth(ip), fw)
    ip, fw = udp_pkt(v6(7, 1), v6(7, 2), 5353, 5353, v=6)
    c.add(t + 2 * MS, eth(ip), fw)
    ip = IPv6(bytes(IPv6(src=v6(7, 2), dst=v6(7, 1)) / ICMPv6EchoRequest(data=b"p" * 32)))
    c.add(t + 3 * MS, eth(ip), flow(ip, 58, itype=128, icode=0))

    # IPv6 extension headers (RFC 8200 4.3, 4.6, 4.4) before UDP.
    ip = IPv6(src=v6(8, 1), dst=v6(8, 2)) / IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0" * 4)]) \
        / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 12)]) \
        / IPv6ExtHdrRouting(type=0, segleft=0, addresses=[v6(8, 3)]) \
        / UDP(sport=6000, dport=6001) / Raw(b"e" * 20)
    ip = IPv6(bytes(ip))
    c.add(T0_NS + 7 * S, eth(ip), flow(ip, 17, 6000, 6001))

    # IPv6 fragments (RFC 8200 4.5): first with the UDP header, then a later one.
    t = T0_NS + 8 * S
    udp = bytes(UDP(sport=6100, dport=6101, len=8 + 1600) / Raw(b"g" * 1600))
    f1 = IPv6(src=v6(9, 1), dst=v6(9, 2)) / IPv6ExtHdrFragment(nh=17, offset=0, m=1, id=9) \
        / Raw(udp[:1000])
    f2 = IPv6(src=v6(9, 1), dst=v6(9, 2)) / IPv6ExtHdrFragment(nh=17, offset=125, m=0, id=9) \
        / Raw(udp[1000:])
    f1, f2 = IPv6(bytes(f1)), IPv6(bytes(f2))
    c.add(t, eth(f1), flow(f1, 17, 6100, 6101))
    c.add(t + MS, eth(f2), flow(f2, 17, 0, 0))

    # 802.1Q and QinQ (802.1ad outer, 802.1Q inner): vlan_id is the outer tag.
    t = T0_NS + 9 * S
    ip, fw = udp_pkt(v4(10, 1), v4(10, 2), 7100, 7101, vlan=100)
    c.add(t, eth(ip, [100]), fw)
    ip, fw = udp_pkt(v4(10, 1), v4(10, 2), 7100, 7101, vlan=200)
    c.add(t + MS, eth(ip, [200, 300]), fw)
    ip, fw = udp_pkt(v6(10, 1), v6(10, 2), 7100, 7101, v=6, vlan=4094)
    c.add(t + 2 * MS, eth(ip, [4094, 5]), fw)

    # ARP: counted, no flow.
    c.add(T0_NS + 10 * S, Ether(**MAC) / ARP(psrc=v4(11, 1), pdst=v4(11, 2)))
    # A frame shorter than an Ethernet header: skipped, never run.
    c.add(T0_NS + 10 * S + MS, b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00", reaches=False)
    # Padded to the 60-octet minimum: octets from the IP length, not the padding.
    ip, fw = udp_pkt(v4(11, 1), v4(11, 2), 9, 9, payload=0)
    frame = bytes(eth(ip))
    c.add(T0_NS + 10 * S + 2 * MS, frame + b"\0" * (60 - len(frame)), fw)
    # A jumbo frame, longer than a test run takes: cut, octets still the IP length.
    ip, fw = udp_pkt(v4(11, 1), v4(11, 3), 9000, 9001, payload=8972)
    assert fw["octets"] == 9000
    c.add(T0_NS + 10 * S + 3 * MS, eth(ip), fw)

    # Idle timeout: a gap of 15.001 s splits (reason 1), one of 14.999 s does not.
    t = T0_NS + 20 * S
    for dt in (0, 1000, 16001, 31000):
        ip, fw = udp_pkt(v4(12, 1), v4(12, 2), 8000, 8001)
        c.add(t + dt * MS, eth(ip), fw)

    # Active timeout: a packet every 5 s for 130 s: intervals of 60 s (reason 2).
    t = T0_NS + 12 * S
    for i in range(27):
        ip, fw = udp_pkt(v4(13, 1), v4(13, 2), 8100, 8101, payload=i)
        c.add(t + i * 5 * S, eth(ip), fw)

    c.packets.sort(key=lambda p: p.t_ns)  # cases interleave in time; sort is stable
    return c


def build_snap():
    """Snaplen 96, big-endian: long packets cut, octets from the IP header."""
    c = Capture("snap96.pcap", endian=">", snaplen=96)
    t = T0_NS + 200 * S
    ip, fw = udp_pkt(v4(20, 1), v4(20, 2), 9100, 9101, payload=1400)
    assert fw["octets"] == 1428
    c.add(t, eth(ip), fw)
    c.add(t + MS, eth(ip), fw)
    ip, fw = udp_pkt(v4(20, 1), v4(20, 2), 9100, 9101, payload=1400, vlan=5)
    c.add(t + 2 * MS, eth(ip, [5]), fw)
    ip, fw = udp_pkt(v6(20, 1), v6(20, 2), 9100, 9101, payload=1400, v=6)
    c.add(t + 3 * MS, eth(ip), fw)
    # Headers past the snaplen (14 + 40 + 64 + 20 > 96): truncated, no event.
    ip = IPv6(src=v6(20, 3), dst=v6(20, 4)) / IPv6ExtHdrHopByHop(
        options=[PadN(optdata=b"\0" * 60)]) / TCP(sport=1, dport=2) / Raw(b"x" * 500)
    c.add(t + 4 * MS, eth(IPv6(bytes(ip))))
    return c


def build_raw():
    """Raw IP (LINKTYPE_RAW, 101), microsecond pcap."""
    c = Capture("raw.pcap", linktype=LINKTYPE_RAW, fmt="pcap-us")
    t = T0_NS + 300 * S
    ip, fw = udp_pkt(v4(30, 1), v4(30, 2), 1000, 2000)
    c.add(t, ip, fw)
    ip, fw = tcp_pkt(v6(30, 1), v6(30, 2), 1000, 2000, SYN, v=6)
    c.add(t + 1500_000, ip, fw)  # 1.5 ms
    return c


def sll(proto, payload):
    # DLT_LINUX_SLL: packet type 0 (to us), ARPHRD_ETHER, 6-octet address.
    return struct.pack("!HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x01\0\0", proto) + bytes(payload)


def sll2(proto, payload):
    # DLT_LINUX_SLL2: protocol, reserved, ifindex, ARPHRD_ETHER, type, addr len, addr.
    return struct.pack("!HHIHBB8s", proto, 0, 3, 1, 0, 6, b"\x02\0\0\0\0\x01\0\0") + \
        bytes(payload)


def build_sll():
    c = Capture("sll.pcap", linktype=LINKTYPE_LINUX_SLL)
    t = T0_NS + 400 * S
    ip, fw = udp_pkt(v4(40, 1), v4(40, 2), 1111, 2222)
    c.add(t, sll(0x0800, ip), fw)
    # libpcap puts a tag the kernel stripped back after the cooked header.
    ip, fw = udp_pkt(v4(40, 1), v4(40, 2), 1111, 2222, vlan=42)
    c.add(t + MS, sll(0x8100, struct.pack("!HH", 42, 0x0800) + bytes(ip)), fw)
    return c


def build_sll2():
    c = Capture("sll2.pcap", linktype=LINKTYPE_LINUX_SLL2)
    ip, fw = udp_pkt(v6(41, 1), v6(41, 2), 3333, 4444, v=6)
    c.add(T0_NS + 410 * S, sll2(0x86DD, ip), fw)
    return c


def build_pcapng():
    c = Capture("capture.pcapng", fmt="pcapng")
    t = T0_NS + 500 * S
    ip, fw = udp_pkt(v4(50, 1), v4(50, 2), 1900, 1900)
    c.add(t + 1, eth(ip), fw)
    c.add(t + 250 * MS + 7, eth(ip), fw)
    ip = IPv6(bytes(IPv6(src=v6(50, 1), dst=v6(50, 2)) / ICMPv6EchoRequest()))
    c.add(t + 300 * MS, eth(ip), flow(ip, 58, itype=128))
    return c


def build_usec():
    """Microsecond pcap whose times start before the previous file's end and
    step back once more inside it (both clamped); a FIN just before the end
    of input (grace not passed: forced end, 4)."""
    c = Capture("usec.pcap", fmt="pcap-us")
    t = T0_NS + 499 * S + 1500  # 1.5 us: us resolution kept, ms floored
    for dt in (0, 2000, 1700, 2500):  # ms; 1700 goes back
        ip, fw = udp_pkt(v4(60, 1), v4(60, 2), 1200, 1300)
        c.add(t + dt * MS, eth(ip), fw)
    t = T0_NS + 520 * S
    for i, fl in enumerate([SYN, ACK, FIN | ACK]):
        ip, fw = tcp_pkt(v4(60, 3), v4(60, 4), 33000, 22, fl)
        c.add(t + i * 100 * MS, eth(ip), fw)
    ip, fw = udp_pkt(v4(60, 1), v4(60, 2), 1200, 1300)
    c.add(t + 1000 * MS, eth(ip), fw)  # 0.8 s after the FIN: the end of input
    return c


def build_sampling():
    """20,000 packets of one flow, 1 ms apart."""
    c = Capture("sampling.pcap")
    ip, fw = udp_pkt(v4(70, 1), v4(70, 2), 10000, 10001, payload=100)
    frame = bytes(eth(ip))
    for i in range(20000):
        c.add(T0_NS + 600 * S + i * MS, frame, fw)
    return c


def build_config_case():
    """For a configuration file with short timeouts and a small table."""
    c = Capture("config.pcap")
    t = T0_NS + 700 * S
    # A packet a second for 12 s: active timeout (5 s) intervals.
    for i in range(13):
        ip, fw = udp_pkt(v4(80, 1), v4(80, 2), 20000, 20001, payload=i)
        c.add(t + i * S, eth(ip), fw)
    # Gap of 3 s > idle (2 s) in another flow.
    for dt in (0, 500, 3600, 4000):
        ip, fw = udp_pkt(v4(80, 3), v4(80, 4), 20002, 20003)
        c.add(t + dt * MS, eth(ip), fw)
    # FIN, then 0.6 s later a packet of another flow: grace (0.5 s) passes.
    for i, fl in enumerate([SYN, ACK, ACK, FIN | ACK, ACK]):
        ip, fw = tcp_pkt(v4(80, 5), v4(80, 6), 20004, 80, fl)
        c.add(t + 6 * S + i * 10 * MS, eth(ip), fw)
    # Four new flows with room for three: the least recently seen ends (5).
    for i in range(4):
        ip, fw = udp_pkt(v4(80, 7), v4(80, 8 + i), 20005, 20006)
        c.add(t + 9 * S + i * 30 * MS + 5 * MS, eth(ip), fw)
    c.packets.sort(key=lambda p: p.t_ns)
    return c


CONFIG = """# written by mkcaptures.py for rfm replay -c
datapath = {
	interfaces = [ "eth0" ];
	sampling = 2;
	sampling_mode = "systematic";
};
flows = {
	idle_timeout = 2;
	active_timeout = 5;
	max_flows = 3;
	tcp_end_grace = 0.5;
};
"""


# --- runs --------------------------------------------------------------------------

def write_run(outdir, name, args, expected=None, exit_code=0, stderr=None, bounds=None,
              output=None):
    d = os.path.join(outdir, "runs", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "args"), "w") as f:
        f.write("".join(a + "\n" for a in args))
    with open(os.path.join(d, "exit"), "w") as f:
        f.write("%d\n" % exit_code)
    if stderr is not None:
        with open(os.path.join(d, "stderr"), "w") as f:
            f.write(stderr + "\n")
    if expected is not None:
        with open(os.path.join(d, "expected.jsonl"), "w") as f:
            for rec in expected:
                f.write(json.dumps(rec, sort_keys=True) + "\n")
    if bounds is not None:
        with open(os.path.join(d, "bounds"), "w") as f:
            f.write("%d %d %d\n" % bounds)
    if output is not None:
        with open(os.path.join(d, "output"), "w") as f:
            f.write(output + "\n")


def binomial_bounds(n, rate, z=3.2905):
    """99.9 % two-sided normal bound of a Binomial(n, p) count, with the
    classifier's p = ceil(2^32 / rate) / 2^32."""
    p = math.ceil(2**32 / rate) / 2**32
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    return math.floor(mean - z * sd), math.ceil(mean + z * sd)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: mkcaptures.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(os.path.join(outdir, "captures"), exist_ok=True)

    main_caps = [build_eth(), build_snap(), build_raw(), build_sll(), build_sll2(),
                 build_pcapng(), build_usec()]
    for c in main_caps:
        c.write(outdir)
    files = [c.path() for c in main_caps]
    write_run(outdir, "all-cases", ["--sampling", "1", "--print", "json"] + files,
              simulate(main_caps))

    # Egress program, another ifindex, records to a file.
    eth_cap = main_caps[0]
    write_run(outdir, "egress-ifindex",
              ["--direction", "egress", "--ifindex", "7", "--print", "json", "--output",
               "runs/egress-ifindex/got-output.jsonl", eth_cap.path()],
              simulate([eth_cap], ifindex=7, direction="egress"),
              output="runs/egress-ifindex/got-output.jsonl")

    # A file cut in the middle of a record: what came before is replayed, exit 1.
    cut = Capture("cut.pcap")
    cut.packets = eth_cap.packets[:12]
    blob = cut.write(outdir)
    cut.write(outdir, cut_at=len(blob) - 10)
    cut.packets = cut.packets[:11]
    write_run(outdir, "read-error", ["--print", "json", cut.path()], simulate([cut]),
              exit_code=1, stderr=cut.path())

    # Sampling 1:10 over 20,000 packets of one flow.
    samp = build_sampling()
    samp.write(outdir)
    lo, hi = binomial_bounds(len(samp.packets), 10)
    write_run(outdir, "sampling-random", ["--sampling", "10", "--print", "json", samp.path()],
              bounds=(lo, hi, 10))
    write_run(outdir, "sampling-systematic",
              ["--sampling", "10", "--sampling-mode", "systematic", "--print", "json",
               samp.path()], simulate([samp], rate=10, systematic=True))

    # A configuration file: its sampling and flow settings are the defaults,
    # the command line overrides them.
    conf_cap = build_config_case()
    conf_cap.write(outdir)
    with open(os.path.join(outdir, "replay.conf"), "w") as f:
        f.write(CONFIG)
    flows_conf = dict(idle=2000, active=5000, grace=500, max_flows=3)
    write_run(outdir, "config", ["-c", "replay.conf", "--print", "json", conf_cap.path()],
              simulate([conf_cap], rate=2, systematic=True, **flows_conf))
    write_run(outdir, "config-overridden",
              ["--config", "replay.conf", "--sampling", "1", "--sampling-mode", "random",
               "--print", "json", conf_cap.path()], simulate([conf_cap], **flows_conf))
    write_run(outdir, "config-invalid", ["-c", "captures/config.pcap", conf_cap.path()], [],
              exit_code=2, stderr="config.pcap")

    # Errors: a link type replay does not know, a missing file, bad usage.
    wifi = Capture("wifi.pcap", linktype=LINKTYPE_IEEE802_11)
    wifi.add(T0_NS, b"\x80\0" + b"\0" * 30)
    wifi.write(outdir)
    write_run(outdir, "error-linktype", ["--print", "json", wifi.path()], [], exit_code=1,
              stderr="wifi.pcap: link type 105")
    write_run(outdir, "error-missing", ["--print", "json", "captures/none.pcap"], [],
              exit_code=1, stderr="none.pcap")
    for name, args in [("usage-no-file", ["--print", "json"]),
                       ("usage-sampling-0", ["--sampling", "0", eth_cap.path()]),
                       ("usage-print", ["--print", "xml", eth_cap.path()]),
                       ("usage-direction", ["--direction", "both", eth_cap.path()]),
                       ("usage-mode", ["--sampling-mode", "stratified", eth_cap.path()]),
                       ("usage-ifindex", ["--ifindex", "0", eth_cap.path()]),
                       ("usage-output", ["--output", "x.jsonl", eth_cap.path()]),
                       ("usage-option", ["--no-such-option", eth_cap.path()])]:
        write_run(outdir, name, args, [], exit_code=2)


if __name__ == "__main__":
    main()
