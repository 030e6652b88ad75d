#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""test_replay.py RFM SCENARIO - `rfm replay -c` of the reference capture
exported to the real collectors at once, and what each decoded compared
with rfm's own --print json records, field by field.

Scenarios:
  decode    sampling 1: IPFIX to nfcapd, nfacctd (shipped primitives file) and
            a file sink read by ipfixDump (shipped element file) and
            python3-ipfix (shipped iespec); NetFlow v9 to nfcapd and nfacctd;
            NetFlow v5 to nfcapd and nfacctd; tshark decodes all of it from a
            capture on lo. Enrichment from MMDB files built by the test.
  sampling  random 1:10 on a larger capture: nfdump's and nfacctd's scaled
            totals equal rfm's estimates (sampled counts x rate), for IPFIX,
            v9 and v5; nfacctd reports no sequence errors.
Exit 0 pass, 1 fail, 77 skipped (not root, or a collector missing).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import collectors as C  # noqa: E402

PY = "/usr/bin/python3"


def write_config(path, work, cols, mmdb=True, extra=""):
    lines = ['datapath = { interfaces = [ "rfmlab*" ]; };', "ipfix = {", "  collectors = ("]
    items = []
    for i, (proto, port) in enumerate(cols):
        items.append(f'    {{ address = "127.0.0.1"; port = {port}; protocol = "{proto}";'
                     f" observation_domain = {10 + i}; }}")
    lines.append(",\n".join(items))
    lines.append("  );")
    lines.append("};")
    if mmdb:
        lines.append(f'enrich = {{ mmdb = {{ asn = "{work}/mmdb/asn-v1.mmdb";'
                     f' city = "{work}/mmdb/city-v1.mmdb"; }}; }};')
    lines.append(extra)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def run_rfm(rfm, conf, out, pcap, sampling, work):
    argv = [rfm, "replay", "-c", conf, "--sampling", str(sampling), "--print", "json", "-o", out, pcap]
    p = subprocess.run(argv, capture_output=True, text=True)
    with open(os.path.join(work, "rfm-replay.log"), "w") as f:
        f.write(p.stdout + p.stderr)
    C.check(p.returncode == 0, f"rfm replay -c exits 0 (sampling {sampling})", p.stderr[-2000:])
    return p


def lines_in(path):
    try:
        with open(path) as f:
            return sum(1 for line in f if line.startswith("{"))
    except OSError:
        return 0


def decode(rfm, src, work):
    top = os.path.dirname(src)
    pcap = os.path.join(work, "ref.pcap")
    subprocess.run([PY, os.path.join(src, "mkcapture.py"), pcap], check=True, capture_output=True)
    prim = os.path.join(top, "templates", "pmacct-primitives.lst")
    custom = list(enterprise_elements(top).values())
    nf_ipfix = C.Nfcapd(work, "nfcapd-ipfix")
    na_ipfix = C.Nfacctd(work, "nfacctd-ipfix", primitives=prim, custom=custom)
    sink = C.UdpFileSink(work, "sink-ipfix")
    nf_v9 = C.Nfcapd(work, "nfcapd-v9")
    na_v9 = C.Nfacctd(work, "nfacctd-v9")
    nf_v5 = C.Nfcapd(work, "nfcapd-v5")
    na_v5 = C.Nfacctd(work, "nfacctd-v5")
    ts_ports = [nf_ipfix.port, nf_v9.port, nf_v5.port]
    ts = C.TsharkCapture(work, "tshark", ts_ports)
    cols = [("ipfix", nf_ipfix.port), ("ipfix", na_ipfix.port), ("ipfix", sink.port),
            ("netflow9", nf_v9.port), ("netflow9", na_v9.port),
            ("netflow5", nf_v5.port), ("netflow5", na_v5.port)]
    conf = os.path.join(work, "rfm.conf")
    write_config(conf, work, cols)
    out = os.path.join(work, "rfm.jsonl")
    run_rfm(rfm, conf, out, pcap, 1, work)
    want = C.rfm_records(out)
    want4 = [r for r in want if r["ip_version"] == 4]
    C.check(len(want) == 600, "rfm made 600 records", f"{len(want)}")
    C.check(any(r["dst_asn"] for r in want) and any(r.get("dst_city") for r in want),
            "rfm's records carry ASNs and cities (the comparison below is not vacuous)")
    # nfacctd prints every second: wait until everything arrived (deadline)
    C.wait_for(lambda: lines_in(na_ipfix.out) >= len(want) and lines_in(na_v9.out) >= len(want)
               and lines_in(na_v5.out) >= len(want4), 20, "nfacctd print output")
    for c in (na_ipfix, na_v9, na_v5, nf_ipfix, nf_v9, nf_v5, sink, ts):
        c.stop()

    base = ["src_addr", "dst_addr", "src_port", "dst_port", "protocol", "packets", "octets",
            "start_ms", "end_ms", "in_if", "out_if"]
    asn = ["src_asn", "dst_asn"]
    C.compare("nfdump/IPFIX", nf_ipfix.records(), want, base + asn)
    C.compare("nfdump/v9", nf_v9.records(), want, base + asn)
    C.compare("nfdump/v5", nf_v5.records(), want4, base + asn)
    pm = ["src_addr", "dst_addr", "src_port", "dst_port", "protocol", "packets", "octets",
          "start_ms", "end_ms", "in_if", "out_if", "src_asn", "dst_asn"]
    for name, col, w in (("nfacctd/IPFIX", na_ipfix, want), ("nfacctd/v9", na_v9, want),
                         ("nfacctd/v5", na_v5, want4)):
        got = col.records()
        # pmacct keeps no ICMP type/code in port_dst: compare ICMP on the rest
        # pmacct keeps NetFlow times in whole seconds (its own arithmetic: it
        # rounds sysUpTime-relative times); IPFIX ms are exact
        C.compare(name, icmp_blind(got), icmp_blind(w), pm,
                  time_tolerance=0 if "IPFIX" in name else 1000)
    flows, _ = ts.flows()
    for name, port, w in (("tshark/IPFIX", nf_ipfix.port, want), ("tshark/v9", nf_v9.port, want),
                          ("tshark/v5", nf_v5.port, want4)):
        C.compare(name, C.tshark_records(flows, port), w, base + asn)
    # enterprise elements
    pyrecs = C.ipfix_records(C.python_ipfix(sink.path, os.path.join(top, "templates",
                                                                     "python-ipfix.iespec")))
    C.compare("python3-ipfix", pyrecs, want, base + asn + ["end_reason"])
    check_enterprise("python3-ipfix", [r["raw"] for r in pyrecs], want)
    dump, p = C.ipfixdump(sink.path, os.path.join(top, "templates", "rfm-elements.xml"))
    C.check(p.returncode == 0, "ipfixDump reads rfm's messages", p.stderr[-500:])
    check_enterprise("ipfixDump", [d for d in dump if "sourceIPv4Address" in d
                                   or "sourceIPv6Address" in d], want)
    check_enterprise_pmacct(na_ipfix.records(), want)


def icmp_blind(recs):
    out = []
    for r in recs:
        r = dict(r)
        if r.get("protocol") in (1, 58):
            r["src_port"] = r["dst_port"] = None
        out.append(r)
    return out


ASN_SOURCE = {None: 0, "none": 0, "rib": 1, "mmdb": 2}


def enterprise_elements(top):
    """{element name: rfm JSON key} from the shipped files:
    templates/rfm-elements.xml (ids, names) and pmacct-primitives.lst, whose
    primitive names are rfm's JSON keys (so also the pmacct primitive)."""
    import xml.etree.ElementTree as ET
    ns = "{http://www.iana.org/assignments}"
    root = ET.parse(os.path.join(top, "templates", "rfm-elements.xml")).getroot()
    id2name = {}
    for rec in root.iter(ns + "record"):
        id2name[rec.findtext(ns + "elementId")] = rec.findtext(ns + "name")
    out = {}
    for ln in open(os.path.join(top, "templates", "pmacct-primitives.lst")):
        if ln.startswith("name="):
            parts = dict(p.split("=", 1) for p in ln.split() if "=" in p)
            out[id2name[parts["field_type"].split(":")[1]]] = parts["name"]
    return out


def expected_value(w, js):
    v = w.get(js)
    if js.endswith("asn_source"):
        return str(ASN_SOURCE[v])
    return "" if v is None else str(v)


def flow_key(d):
    src = d.get("sourceIPv4Address", d.get("sourceIPv6Address"))
    dst = d.get("destinationIPv4Address", d.get("destinationIPv6Address"))
    sp = int(str(d.get("sourceTransportPort", 0)))
    dp = int(str(d.get("destinationTransportPort", 0)))
    proto = int(str(d.get("protocolIdentifier")))
    if proto in (1, 58):
        sp = 0
        tc = d.get("icmpTypeCodeIPv4", d.get("icmpTypeCodeIPv6"))
        dp = int(str(tc)) if tc is not None else dp
    return (C.canon_addr(str(src)), C.canon_addr(str(dst)), sp, dp, proto)


def check_enterprise(name, dicts, want):
    """Every enterprise element of every record, decoded by name, equals rfm's JSON."""
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    els = enterprise_elements(top)
    by_key = {C.key_of(w): w for w in want}
    seen = bad = matched = 0
    for d in dicts:
        w = by_key.get(flow_key(d))
        if w is None:
            continue
        matched += 1
        for el, js in els.items():
            seen += 1
            if el not in d:
                bad += 1
                if bad < 5:
                    C.log(f"  {name}: {C.key_of(w)}: {el} not decoded")
                continue
            got = str(d[el])
            m = re.match(r"\(len: \d+\) ?(.*)$", got)
            if m:
                got = m.group(1)
            if got != expected_value(w, js):
                bad += 1
                if bad < 5:
                    C.log(f"  {name}: {C.key_of(w)} {el}: got {got!r} want {expected_value(w, js)!r}")
    C.check(matched == len(want) and bad == 0,
            f"{name}: {len(els)} enterprise elements of {matched} records decoded by name, "
            f"equal to rfm's", f"{bad} of {seen} values differ; {matched}/{len(want)} records matched")


def check_enterprise_pmacct(recs, want):
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    els = enterprise_elements(top)
    want_by = {}
    for w in want:
        want_by.setdefault((w["src_addr"], w["dst_addr"], w["protocol"], w["start_ms"]), w)
    seen = bad = matched = 0
    for r in recs:
        w = want_by.get((r.get("src_addr"), r.get("dst_addr"), r.get("protocol"), r.get("start_ms")))
        if not w:
            continue
        matched += 1
        for js in els.values():  # each primitive is named as rfm's JSON key
            seen += 1
            got = r["raw"].get(js)
            got = "" if got is None else str(got)
            if got != expected_value(w, js):
                bad += 1
                if bad < 5:
                    C.log(f"  nfacctd: {js}: got {got!r} want {expected_value(w, js)!r}")
    C.check(matched == len(want) and bad == 0,
            f"nfacctd: enterprise primitives of {matched} records equal rfm's ({seen} values)",
            f"{bad} differ; {matched}/{len(want)} records matched")


def sampling(rfm, src, work):
    pcap = os.path.join(work, "big.pcap")
    subprocess.run([PY, os.path.join(src, "mkcapture.py"), pcap, "--flows", "3000",
                    "--packets", "12"], check=True, capture_output=True)
    nf = {p: C.Nfcapd(work, f"nfcapd-{p}") for p in ("ipfix", "netflow9", "netflow5")}
    na = {p: C.Nfacctd(work, f"nfacctd-{p}", renormalize=True) for p in ("ipfix", "netflow9",
                                                                          "netflow5")}
    cols = [(p, nf[p].port) for p in nf] + [(p, na[p].port) for p in na]
    conf = os.path.join(work, "rfm.conf")
    write_config(conf, work, cols, mmdb=False)
    out = os.path.join(work, "rfm.jsonl")
    run_rfm(rfm, conf, out, pcap, 10, work)
    want = C.rfm_records(out)
    C.check(len(want) > 100 and all(r["sampling"] == 10 for r in want),
            "rfm sampled at 1:10", f"{len(want)} records")
    tot = {4: [0, 0], 6: [0, 0]}
    for r in want:
        tot[r["ip_version"]][0] += r["packets"] * r["sampling"]
        tot[r["ip_version"]][1] += r["octets"] * r["sampling"]
    all_p, all_o = tot[4][0] + tot[6][0], tot[4][1] + tot[6][1]
    want_pk = {p: tot[4][0] if p == "netflow5" else all_p for p in na}
    C.wait_for(lambda: all(sum(r["packets"] or 0 for r in na[p].records()) >= want_pk[p]
                           for p in na), 20, "nfacctd print output")
    for c in list(na.values()) + list(nf.values()):
        c.stop()
    for p in nf:
        recs = nf[p].records()
        ep, eo = (tot[4][0], tot[4][1]) if p == "netflow5" else (all_p, all_o)
        gp, go = sum(r["packets"] for r in recs), sum(r["octets"] for r in recs)
        C.check((gp, go) == (ep, eo), f"nfdump/{p}: scaled totals equal rfm's estimate "
                f"({ep} packets, {eo} octets)", f"got {gp} packets, {go} octets")
    for p in na:
        recs = na[p].records()
        ep, eo = (tot[4][0], tot[4][1]) if p == "netflow5" else (all_p, all_o)
        gp, go = sum(r["packets"] for r in recs), sum(r["octets"] for r in recs)
        C.check((gp, go) == (ep, eo), f"nfacctd/{p}: renormalized totals equal rfm's estimate "
                f"({ep} packets, {eo} octets)", f"got {gp} packets, {go} octets")
        log = na[p].stats_log()
        C.check("expecting flow" not in log.lower() and "sequence" not in log.lower(),
                f"nfacctd/{p}: no sequence errors logged",
                "\n".join(ln for ln in log.splitlines() if "equence" in ln or "xpecting" in ln)[:500])


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("decode", "sampling"):
        print(__doc__)
        sys.exit(2)
    rfm, scenario = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        C.skip("needs root (rfm replay runs the classifier with BPF_PROG_TEST_RUN)")
    C.need("nfcapd", "nfdump", "nfacctd", "tshark", "ipfixDump")
    src = os.path.dirname(os.path.abspath(__file__))
    work = tempfile.mkdtemp(prefix=f"rfm-ct-{scenario}.")
    os.makedirs(os.path.join(work, "mmdb"))
    if scenario == "decode":
        p = subprocess.run(["perl", os.path.join(os.path.dirname(src), "tests", "fixtures", "mmdb",
                                                 "mkmmdb.pl"), os.path.join(work, "mmdb")],
                           capture_output=True, text=True)
        if p.returncode != 0:
            C.skip(f"cannot build the MMDB files: {p.stderr.strip()}")
    ok = False
    try:
        (decode if scenario == "decode" else sampling)(rfm, src, work)
        ok = C.FAILS == 0
    finally:
        C.stop_all()
        if ok and not os.environ.get("RFM_CT_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            C.log(f"work dir kept: {work}")
    C.finish()


if __name__ == "__main__":
    main()
