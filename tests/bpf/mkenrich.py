#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""mkenrich.py OUTDIR - inputs and expected records of the `rfm replay`
enrichment test (test_replay_enrich.sh).

Writes into OUTDIR:
  routes.bmp     a BMP stream (RFC 7854) built here: Initiation, a Peer Up
                 for each of two BGP peers of the monitored router, Route
                 Monitoring for the ROUTES below; no Peer Down, so the
                 routes stay in the RIB when the stream ends
  mmdb.txt       the MMDB below, for `mkmmdb.pl --data` (asn.mmdb, city.mmdb)
  enrich.pcap    one UDP flow per entry of FLOWS (scapy)
  runs/NAME/     args (one per line, paths relative to OUTDIR),
                 expected.jsonl and, with a RIB, stderr (its summary line)
                 for each set-up: RIB and MMDB, the same with
                 use_default_route, RIB alone, MMDB alone; plus the
                 configuration files the runs name

The expected records are the flow records mkcaptures.simulate() computes
from the packets, plus the enrichment keys computed here from ROUTES and
MMDB by the rules enrich.h and rib.h document: per address, the origin AS
of the longest RIB prefix (Adj-RIB-In post-policy before pre-policy; 0/0
only with use_default_route), else the MMDB ASN when the route's origin is
unknown (AS_SET) or there is no route, else none; the AS name only when the
MMDB entry describes the AS chosen; prefix length and first AS (next_as for
the destination, prev_as for the source) and the BGP next hop (destination)
of the route; city and country from the city file. Nothing is read back
from rfm.

Enrichment data uses documentation prefixes and ASNs (192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32, AS64496-64511,
AS65536-65551); the one test host outside them is 198.18.5.5.
"""
import ipaddress
import json
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkcaptures  # noqa: E402  (the packet builders and the flow table model)

# --- the monitored router and its BGP peers ---------------------------------------

ROUTER_AS, ROUTER_ID = 64502, "192.0.2.1"
PEERS = {  # name: (address, AS, BGP identifier)
    "p1": ("192.0.2.254", 64500, "192.0.2.254"),
    "p2": ("192.0.2.250", 64501, "192.0.2.250"),
}

# (peer, view, prefix, AS_PATH segments, next hop). A segment is a list (AS_SEQUENCE)
# or a set (AS_SET). The view is "post" (L flag) or "pre".
ROUTES = [
    ("p1", "post", "192.0.2.0/24", [[64500, 64510, 64496]], "192.0.2.254"),
    ("p2", "post", "192.0.2.128/25", [[64501, 64511, 64505]], "192.0.2.250"),
    # The same prefix pre- and post-policy: post-policy is selected, though
    # the pre-policy path is shorter.
    ("p1", "pre", "198.51.100.0/24", [[64500, 64504]], "192.0.2.253"),
    ("p1", "post", "198.51.100.0/24", [[64500, 64506, 64497]], "192.0.2.252"),
    # Ends in an AS_SET: origin AS unknown, the MMDB's ASN is used.
    ("p2", "post", "203.0.113.0/25", [[64501, 64509], {64497, 64498}], "192.0.2.250"),
    ("p1", "post", "0.0.0.0/0", [[64500, 64507]], "192.0.2.254"),
    ("p2", "post", "2001:db8::/48", [[64501, 64499]], "2001:db8:ffff::2"),
    ("p1", "post", "2001:db8:1::/48", [[64500, 64508, 65551]], "2001:db8:ffff::1"),
]

# network: asn, org, city, country (None: not in that file)
MMDB = [
    ("192.0.2.0/24", 64496, "Example Net One", "Amsterdam", "NL"),
    ("198.51.100.0/24", 64497, "Example Net Two", "Zürich", "CH"),
    ("198.51.100.128/25", 64503, "Example Net Four", None, None),
    ("203.0.113.0/24", 64498, "Example Net Three", None, "JP"),
    ("2001:db8::/32", 64499, "Example IPv6 Net", "Berlin", "DE"),
]

# src, dst: one UDP flow each, sent in this order, 10 ms apart.
FLOWS = [
    ("192.0.2.10", "198.51.100.20"),   # RIB both ways; dst post-policy over pre-policy
    ("192.0.2.200", "203.0.113.10"),   # src /25 inside /24, AS not the MMDB's; dst AS_SET
    ("203.0.113.200", "198.18.5.5"),   # src MMDB only; dst nothing (but the default route)
    ("198.51.100.200", "192.0.2.10"),  # src RIB AS64497, MMDB says AS64503: no AS name
    ("2001:db8::10", "2001:db8:1::20"),  # IPv6, RIB both ways
    ("2001:db8:ff::1", "2001:db8::10"),  # src IPv6 MMDB only
]

# --- BMP and BGP bytes -------------------------------------------------------------


def bmp(mtype, body):
    """RFC 7854 4.1 common header."""
    return struct.pack("!BIB", 3, 6 + len(body), mtype) + body


def per_peer(name, post):
    """RFC 7854 4.2: global instance peer, IPv4 address, 4-octet AS_PATHs."""
    addr, asn, bgp_id = PEERS[name]
    flags = 0x40 if post else 0  # L: post-policy
    return (struct.pack("!BBQ", 0, flags, 0) + bytes(12) + socket.inet_aton(addr)
            + struct.pack("!I", asn) + socket.inet_aton(bgp_id) + struct.pack("!II", 1700000000, 0))


def bgp(mtype, body):
    """RFC 4271 4.1."""
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), mtype) + body


def bgp_open(asn, bgp_id):
    """RFC 4271 4.2 with capabilities: 4-octet AS (RFC 6793), IPv4 and IPv6 unicast (RFC 4760)."""
    caps = (struct.pack("!BBI", 65, 4, asn) + struct.pack("!BBHBB", 1, 4, 1, 0, 1)
            + struct.pack("!BBHBB", 1, 4, 2, 0, 1))
    params = struct.pack("!BB", 2, len(caps)) + caps
    return bgp(1, struct.pack("!BHH", 4, asn if asn < 65536 else 23456, 90)
               + socket.inet_aton(bgp_id) + struct.pack("!B", len(params)) + params)


def peer_up(name):
    """RFC 7854 4.10: local address and ports, then the OPENs sent and received."""
    addr, asn, bgp_id = PEERS[name]
    return bmp(3, per_peer(name, False) + bytes(12) + socket.inet_aton(ROUTER_ID)
               + struct.pack("!HH", 179, 40000) + bgp_open(ROUTER_AS, ROUTER_ID)
               + bgp_open(asn, bgp_id))


def nlri(prefix):
    net = ipaddress.ip_network(prefix)
    return bytes([net.prefixlen]) + net.network_address.packed[:(net.prefixlen + 7) // 8]


def attr(flags, code, value):
    if len(value) > 255:
        return struct.pack("!BBH", flags | 0x10, code, len(value)) + value
    return struct.pack("!BBB", flags, code, len(value)) + value


def as_path(segments):
    out = b""
    for seg in segments:
        kind = 1 if isinstance(seg, set) else 2  # AS_SET, AS_SEQUENCE
        asns = sorted(seg) if kind == 1 else seg
        out += struct.pack("!BB", kind, len(asns)) + b"".join(struct.pack("!I", a) for a in asns)
    return out


def route_monitoring(name, view, prefix, segments, next_hop):
    """An UPDATE announcing prefix: NEXT_HOP for IPv4, MP_REACH_NLRI (RFC 4760 3) for IPv6."""
    attrs = attr(0x40, 1, b"\x00") + attr(0x40, 2, as_path(segments))  # ORIGIN IGP, AS_PATH
    if ipaddress.ip_network(prefix).version == 4:
        attrs += attr(0x40, 3, socket.inet_aton(next_hop))
        update = struct.pack("!HH", 0, len(attrs)) + attrs + nlri(prefix)
    else:
        nh = ipaddress.ip_address(next_hop).packed
        attrs += attr(0x80, 14, struct.pack("!HBB", 2, 1, 16) + nh + b"\x00" + nlri(prefix))
        update = struct.pack("!HH", 0, len(attrs)) + attrs
    return bmp(0, per_peer(name, view == "post") + bgp(2, update))


def bmp_stream():
    name = b"rfm-replay-enrich"
    out = bmp(4, struct.pack("!HH", 2, len(name)) + name)  # Initiation, sysName
    for p in PEERS:
        out += peer_up(p)
    for r in ROUTES:
        out += route_monitoring(*r)
    return out


# --- the expected enrichment ---------------------------------------------------------


def covers(prefix, addr):
    return ipaddress.ip_address(addr) in ipaddress.ip_network(prefix)


def route_for(addr, use_default):
    """The route rfm selects: longest prefix, then post-policy before pre-policy."""
    best = None
    for r in ROUTES:
        net = ipaddress.ip_network(r[2])
        if net.version != ipaddress.ip_address(addr).version or not covers(r[2], addr):
            continue
        if net.prefixlen == 0 and not use_default:
            continue
        key = (net.prefixlen, r[1] == "post")
        if best is None or key > best[0]:
            best = (key, r)
    return best[1] if best else None


def mmdb_entry(addr, in_file):
    """The longest MMDB network covering addr among those in_file(entry) puts in a file."""
    best = None
    for m in MMDB:
        net = ipaddress.ip_network(m[0])
        if in_file(m) and covers(m[0], addr) and (best is None or net.prefixlen > best[0]):
            best = (net.prefixlen, m)
    return best[1] if best else None


def in_asn_file(m):
    return m[1] is not None


def in_city_file(m):
    return m[3] is not None or m[4] is not None


def origin_of(segments):
    last = segments[-1]
    return 0 if isinstance(last, set) else last[-1]


def side(addr, use_rib, use_mmdb, use_default):
    route = route_for(addr, use_default) if use_rib else None
    a = mmdb_entry(addr, in_asn_file) if use_mmdb else None
    c = mmdb_entry(addr, in_city_file) if use_mmdb else None
    out = dict(asn=0, source="none", name=None, plen=0, first=0, nh=None,
               city=c[3] if c else None, country=c[4] if c else None)
    if route:
        out.update(plen=ipaddress.ip_network(route[2]).prefixlen, first=route[3][0][0],
                   nh=str(ipaddress.ip_address(route[4])))
    if route and origin_of(route[3]):
        out.update(asn=origin_of(route[3]), source="rib")
    elif a:
        out.update(asn=a[1], source="mmdb")
    if a and a[1] == out["asn"]:
        out["name"] = a[2]
    return out


def enrichment(src, dst, **how):
    s, d = side(src, **how), side(dst, **how)
    return {"src_asn": s["asn"], "dst_asn": d["asn"], "src_as_name": s["name"],
            "dst_as_name": d["name"], "next_as": d["first"], "prev_as": s["first"],
            "bgp_next_hop": d["nh"], "src_prefix_len": s["plen"], "dst_prefix_len": d["plen"],
            "src_city": s["city"], "dst_city": d["city"], "src_country": s["country"],
            "dst_country": d["country"], "src_asn_source": s["source"],
            "dst_asn_source": d["source"]}


def rib_summary():
    """What `rfm replay` says of the RIB the stream leaves: routes, prefixes, peers x views."""
    nets = {ipaddress.ip_network(r[2]) for r in ROUTES}
    return ("RIB from 1 BMP streams: %d routes, %d IPv4 and %d IPv6 prefixes, %d peers"
            % (len(ROUTES), sum(n.version == 4 for n in nets), sum(n.version == 6 for n in nets),
               len({(r[0], r[1]) for r in ROUTES})))


# --- output --------------------------------------------------------------------------

CONF = """# written by mkenrich.py for rfm replay -c
datapath = {{ interfaces = [ "eth0" ]; sampling = 1; }};
enrich = {{
{mmdb}	use_default_route = {default};
}};
"""
MMDB_CONF = """	mmdb = { asn = "mmdb/asn.mmdb"; city = "mmdb/city.mmdb"; };
"""


def mmdb_text():
    lines = ["# written by mkenrich.py for mkmmdb.pl --data"]
    for net, asn, org, city, country in MMDB:
        words = [net, "asn=%d" % asn, "org=%s" % json.dumps(org)]
        if city:
            words.append("city=%s" % json.dumps(city, ensure_ascii=False))
        if country:
            words.append("country=%s" % country)
        lines.append(" ".join(words))
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: mkenrich.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "captures"), exist_ok=True)
    with open(os.path.join(out, "routes.bmp"), "wb") as f:
        f.write(bmp_stream())
    with open(os.path.join(out, "mmdb.txt"), "w", encoding="utf-8") as f:
        f.write(mmdb_text())

    cap = mkcaptures.Capture("enrich.pcap")
    for i, (src, dst) in enumerate(FLOWS):
        v = ipaddress.ip_address(src).version
        ip, fw = mkcaptures.udp_pkt(src, dst, 40000 + i, 5000, payload=20 + i, v=v)
        cap.add(mkcaptures.T0_NS + i * 10 * mkcaptures.MS, mkcaptures.eth(ip), fw)
    cap.write(out)
    records = mkcaptures.simulate([cap])
    assert len(records) == len(FLOWS)

    setups = {  # name: (config, --bmp?, use_rib, use_mmdb, use_default)
        "rib-mmdb": ("enrich.conf", True, True, True, False),
        "rib-mmdb-default": ("enrich-default.conf", True, True, True, True),
        "rib-only": ("plain.conf", True, True, False, False),
        "mmdb-only": ("enrich.conf", False, False, True, False),
    }
    for conf, mmdb, default in (("enrich.conf", True, False),
                                ("enrich-default.conf", True, True),
                                ("plain.conf", False, False)):
        with open(os.path.join(out, conf), "w") as f:
            f.write(CONF.format(mmdb=MMDB_CONF if mmdb else "",
                                default="true" if default else "false"))
    for name, (conf, with_bmp, use_rib, use_mmdb, use_default) in setups.items():
        d = os.path.join(out, "runs", name)
        os.makedirs(d, exist_ok=True)
        args = ["-c", conf] + (["--bmp", "routes.bmp"] if with_bmp else [])
        args += ["--print", "json", cap.path()]
        with open(os.path.join(d, "args"), "w") as f:
            f.write("".join(a + "\n" for a in args))
        if with_bmp:
            with open(os.path.join(d, "stderr"), "w") as f:
                f.write(rib_summary() + "\n")
        with open(os.path.join(d, "expected.jsonl"), "w", encoding="utf-8") as f:
            for rec in records:
                rec = dict(rec, **enrichment(rec["src_addr"], rec["dst_addr"], use_rib=use_rib,
                                             use_mmdb=use_mmdb, use_default=use_default))
                f.write(json.dumps(rec, sort_keys=True, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
