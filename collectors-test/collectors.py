# SPDX-License-Identifier: AGPL-3.0-or-later
"""collectors.py - drive the real flow collectors of Debian on loopback and
read back what they decoded, as canonical records rfm's JSON can be compared
with.

Owns: starting and stopping each collector (by PID, on a free port checked
beforehand), their output parsers, and the canonical record: a dict with

    src_addr dst_addr src_port dst_port protocol packets octets
    start_ms end_ms in_if out_if src_asn dst_asn (+ whatever else a
    collector decodes: end_reason, next_hop, src_city, ... )

Collectors: nfcapd + nfdump (IPFIX, v9, v5), pmacct nfacctd with the print
plugin (IPFIX, v9, v5; enterprise fields through aggregate_primitives),
tshark's cflow dissector (a capture on lo; IPFIX, v9, v5), a UDP sink that
writes an RFC 5655 file for libfixbuf's ipfixDump and python3-ipfix.

Runs under /usr/bin/python3 (Debian's, with python3-ipfix); stdlib otherwise.
"""

import calendar
import ipaddress
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
TEMPLATES = os.path.join(TOP, "templates")

FAILS = 0
CHECKS = 0


def log(msg):
    print(msg, flush=True)


def check(ok, what, detail=""):
    """One assertion: prints PASS/FAIL with what was expected and got."""
    global FAILS, CHECKS
    CHECKS += 1
    if ok:
        log(f"PASS: {what}")
    else:
        FAILS += 1
        log(f"FAIL: {what}" + (f"\n      {detail}" if detail else ""))
    return ok


def finish():
    log(f"{CHECKS - FAILS}/{CHECKS} checks passed")
    sys.exit(1 if FAILS else 0)


def skip(reason):
    log(f"SKIP: {reason}")
    sys.exit(77)


def need(*programs):
    for p in programs:
        if not any(os.access(os.path.join(d, p), os.X_OK)
                   for d in os.environ.get("PATH", "").split(":") + ["/usr/sbin", "/usr/bin"]):
            skip(f"{p} is not installed (scripts/bootstrap installs it)")


def wait_for(cond, timeout, what):
    """Poll cond() until true or the deadline; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= deadline:
            if not v:
                log(f"timeout ({timeout} s) waiting for {what}")
            return v
        time.sleep(0.05)


# ---- ports -----------------------------------------------------------------

def _port_busy(kind, port):
    fam = socket.AF_INET
    typ = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
    s = socket.socket(fam, typ)
    try:
        s.bind(("127.0.0.1", port))
        return False
    except OSError:
        return True
    finally:
        s.close()


_next_port = [int(os.environ.get("RFM_CT_PORT_BASE", 0)) or 20000 + (os.getpid() * 7) % 20000]


def free_port(kind="udp"):
    """A port in 20000..39999 free for kind on 127.0.0.1 (and not handed out before)."""
    for _ in range(2000):
        p = _next_port[0]
        _next_port[0] = 20000 + (p - 20000 + 1) % 20000
        if not _port_busy(kind, p) and not _port_busy("tcp" if kind == "udp" else "udp", p):
            return p
    raise RuntimeError("no free port")


def udp_bound(port):
    return _port_busy("udp", port)


# ---- processes -------------------------------------------------------------

class Proc:
    """A process we started; stopped by PID only."""

    def __init__(self, argv, log_path, stop_signal=signal.SIGTERM, env=None):
        self.argv = argv
        self.log_path = log_path
        self.stop_signal = stop_signal
        self.logf = open(log_path, "wb")
        self.p = subprocess.Popen(argv, stdout=self.logf, stderr=subprocess.STDOUT, env=env)

    def alive(self):
        return self.p.poll() is None

    def stop(self, timeout=10):
        if self.p.poll() is None:
            self.p.send_signal(self.stop_signal)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.logf.close()
        return self.p.returncode

    def log_text(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""


_procs = []


def started(proc):
    _procs.append(proc)
    return proc


def stop_all():
    for p in reversed(_procs):
        try:
            p.stop()
        except Exception:  # noqa: BLE001 - cleanup must go on
            pass
    _procs.clear()


# ---- canonical records -----------------------------------------------------

KEY = ("src_addr", "dst_addr", "src_port", "dst_port", "protocol")


def canon_addr(a):
    return str(ipaddress.ip_address(a)) if a not in (None, "") else None


def key_of(r):
    return tuple(r.get(k) for k in KEY)


def rfm_records(path):
    """rfm's --print json lines as canonical records."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            j = json.loads(line)
            if "type" in j or "end_reason" not in j:
                continue  # the agent's counters and stats lines
            ing = j["direction"] == "ingress"
            r = dict(j)
            r["src_addr"] = canon_addr(j["src_addr"])
            r["dst_addr"] = canon_addr(j["dst_addr"])
            r["in_if"] = j["ifindex"] if ing else j["other_ifindex"]
            r["out_if"] = j["other_ifindex"] if ing else j["ifindex"]
            if j["protocol"] in (1, 58):
                r["src_port"], r["dst_port"] = 0, j["icmp_type"] << 8 | j["icmp_code"]
            r["src_asn"] = j.get("src_asn", 0)
            r["dst_asn"] = j.get("dst_asn", 0)
            out.append(r)
    return out


def compare(name, got, want, fields, scale=1, time_tolerance=0):
    """Match got to want by key (several records per key are matched in
    start order) and compare fields; returns the number of mismatches."""
    bad = 0
    pool = {}
    for r in sorted(got, key=lambda r: (r.get("start_ms") or 0)):
        pool.setdefault(key_of(r), []).append(r)
    for w in sorted(want, key=lambda r: (r.get("start_ms") or 0)):
        k = key_of(w)
        cands = pool.get(k) or []
        if not cands:
            bad += 1
            check(False, f"{name}: record {k} decoded", "missing")
            continue
        g = cands.pop(0)
        diffs = []
        for f in fields:
            wv = w.get(f)
            if f in ("packets", "octets"):
                wv = wv * scale
            if f in ("start_ms", "end_ms") and time_tolerance and g.get(f) is not None \
                    and abs(g[f] - wv) <= time_tolerance:
                continue
            if g.get(f) != wv:
                diffs.append(f"{f}: got {g.get(f)!r} want {wv!r}")
        if diffs:
            bad += 1
            check(False, f"{name}: record {k}", "; ".join(diffs))
    extra = sum(len(v) for v in pool.values())
    check(bad == 0 and extra == 0,
          f"{name}: {len(want)} records equal rfm's on {', '.join(fields)}"
          + (f" (x{scale} scaled)" if scale != 1 else ""),
          f"{bad} differ, {extra} extra")
    return bad + extra


# ---- nfcapd / nfdump -------------------------------------------------------

def _iso_ms(s):
    # "2023-11-14T22:13:20.200" (nfdump prints local time; we run with TZ=UTC)
    m = re.match(r"(\d+)-(\d+)-(\d+)[T ](\d+):(\d+):(\d+)(?:\.(\d+))?", s)
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    ms = int((m.group(7) or "0").ljust(3, "0")[:3])
    return calendar.timegm((y, mo, d, h, mi, se)) * 1000 + ms


class Nfcapd:
    def __init__(self, work, name, port=None, extra=()):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.proc = started(Proc(["nfcapd", "-w", self.dir, "-b", "127.0.0.1", "-p", str(self.port),
                                  "-t", "3600", "-I", "rfm", *extra],
                                 os.path.join(work, name + ".log")))
        wait_for(lambda: udp_bound(self.port), 10, f"nfcapd on udp {self.port}")

    def stop(self):
        # SIGTERM flushes and renames nfcapd.current.PID
        return self.proc.stop()

    def records(self):
        env = dict(os.environ, TZ="UTC")
        files = [f for f in os.listdir(self.dir) if f.startswith("nfcapd.")]
        if not files:
            return []
        p = subprocess.run(["nfdump", "-R", self.dir, "-o", "json", "-N"], capture_output=True,
                           text=True, env=env)
        if p.returncode != 0:
            log(f"nfdump failed: {p.stderr}")
            return []
        txt = p.stdout.strip()
        if not txt:
            return []
        out = []
        for j in json.loads(txt):
            if j.get("type") != "FLOW":
                continue
            r = {
                "src_addr": canon_addr(j.get("src4_addr") or j.get("src6_addr")),
                "dst_addr": canon_addr(j.get("dst4_addr") or j.get("dst6_addr")),
                "src_port": j.get("src_port", 0),
                "dst_port": j.get("dst_port", 0),
                "protocol": j.get("proto"),
                "packets": j.get("in_packets"),
                "octets": j.get("in_bytes"),
                "start_ms": _iso_ms(j["first"]),
                "end_ms": _iso_ms(j["last"]),
                "in_if": j.get("input_snmp", 0),
                "out_if": j.get("output_snmp", 0),
                "src_asn": j.get("src_as", 0),
                "dst_asn": j.get("dst_as", 0),
                "src_prefix_len": j.get("src_mask", 0),
                "dst_prefix_len": j.get("dst_mask", 0),
                "sampled": j.get("sampled"),
                "raw": j,
            }
            if r["protocol"] in (1, 58):
                r["src_port"] = 0
                r["dst_port"] = (j.get("icmp_type", 0) << 8) | j.get("icmp_code", 0)
            out.append(r)
        return out


# ---- pmacct nfacctd --------------------------------------------------------

# pmacct primitive -> canonical field
PMACCT_FIELDS = {
    "ip_src": "src_addr", "ip_dst": "dst_addr", "port_src": "src_port", "port_dst": "dst_port",
    "packets": "packets", "bytes": "octets", "as_src": "src_asn", "as_dst": "dst_asn",
    "iface_in": "in_if", "iface_out": "out_if", "mask_src": "src_prefix_len",
    "mask_dst": "dst_prefix_len",
}
PMACCT_AGG = ("src_host, dst_host, src_port, dst_port, proto, timestamp_start, timestamp_end, "
              "in_iface, out_iface, src_as, dst_as, src_mask, dst_mask, export_proto_version")


def _pm_ts(s):
    # "2023-11-14 22:13:20.150000" (UTC with timestamps_utc: true)
    return _iso_ms(s) if s else None


class Nfacctd:
    """nfacctd with the print plugin writing JSON lines. Stops on SIGINT only."""

    def __init__(self, work, name, port=None, primitives=None, custom=(), renormalize=False):
        self.work = os.path.join(work, name)
        os.makedirs(self.work, exist_ok=True)
        self.port = port or free_port()
        self.out = os.path.join(self.work, "flows.json")
        self.custom = list(custom)
        agg = PMACCT_AGG + "".join(", " + c for c in self.custom)
        conf = [
            "daemonize: false",
            f"logfile: {self.work}/nfacctd.log",
            "nfacctd_ip: 127.0.0.1",
            f"nfacctd_port: {self.port}",
            "plugins: print[out]",
            f"aggregate[out]: {agg}",
            "print_output[out]: json",
            f"print_output_file[out]: {self.out}",
            "print_output_file_append[out]: true",
            "print_refresh_time[out]: 1",
            "timestamps_secs: false",
            "timestamps_utc: true",
            "nfacctd_time_new: false",
            "nfacctd_disable_checks: false",
        ]
        if primitives:
            conf.append(f"aggregate_primitives: {primitives}")
        if renormalize:
            conf.append("nfacctd_renormalize: true")
        self.conf = os.path.join(self.work, "nfacctd.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(conf) + "\n")
        self.proc = started(Proc(["nfacctd", "-f", self.conf], os.path.join(self.work, "stdout.log"),
                                 stop_signal=signal.SIGINT))
        wait_for(lambda: udp_bound(self.port), 15, f"nfacctd on udp {self.port}")

    def stop(self):
        rc = self.proc.stop(timeout=15)
        return rc

    def stats_log(self):
        try:
            with open(os.path.join(self.work, "nfacctd.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def records(self):
        out = []
        if not os.path.exists(self.out):
            return out
        with open(self.out) as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                j = json.loads(line)
                r = {"raw": j, "protocol": _proto_num(j.get("ip_proto"))}
                for k, v in PMACCT_FIELDS.items():
                    if k in j:
                        r[v] = j[k]
                for c in ("src_addr", "dst_addr"):
                    if c in r:
                        r[c] = canon_addr(r[c])
                r["start_ms"] = _pm_ts(j.get("timestamp_start"))
                r["end_ms"] = _pm_ts(j.get("timestamp_end"))
                for c in self.custom:
                    r[c] = j.get(c)
                out.append(r)
        return out


_PROTOS = {"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58, "icmp6": 58, "sctp": 132, "udplite": 136}


def _proto_num(p):
    if p is None:
        return None
    if isinstance(p, int) or str(p).isdigit():
        return int(p)
    return _PROTOS.get(str(p).lower(), p)


# ---- UDP file sink (ipfixDump, python3-ipfix) --------------------------------

class UdpFileSink:
    """Receives datagrams on 127.0.0.1:port and appends them to a file
    (IPFIX messages back to back form an RFC 5655 file)."""

    def __init__(self, work, name, port=None):
        self.path = os.path.join(work, name + ".ipfix")
        self.port = port or free_port()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.settimeout(0.2)
        self.count = 0
        self.running = True
        self.f = open(self.path, "wb")
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while self.running:
            try:
                d = self.sock.recv(65535)
            except socket.timeout:
                continue
            except OSError:
                break
            self.f.write(d)
            self.f.flush()
            self.count += 1

    def stop(self):
        self.running = False
        self.t.join()
        self.sock.close()
        self.f.close()


def ipfixdump(path, element_file=None):
    """ipfixDump's data records as dicts of element name -> printed value."""
    argv = ["ipfixDump", "-d", "-i", path]
    if element_file:
        argv[1:1] = ["-e", element_file]
    p = subprocess.run(argv, capture_output=True, text=True, errors="replace")
    recs, cur = [], None
    for line in p.stdout.splitlines():
        if "--- data record" in line:
            cur = {}
            recs.append(cur)
            continue
        m = re.match(r"\s*\((?:(\d+)/)?(\d+)\)\s+(\S+)\s*:\s*(.*)$", line)
        if m and cur is not None:
            cur[m.group(3)] = m.group(4).strip()
    return recs, p


def python_ipfix(path, iespec=None):
    """python3-ipfix's view of every record in an IPFIX file."""
    import ipfix.ie
    import ipfix.reader
    ipfix.ie.use_iana_default()
    ipfix.ie.use_5103_default()
    if iespec:
        ipfix.ie.use_specfile(iespec)
    out = []
    with open(path, "rb") as f:
        r = ipfix.reader.from_stream(f)
        for rec in r.namedict_iterator():
            out.append(dict(rec))
    return out


def ipfix_records(dicts):
    """Canonical flow records from IPFIX element-name dicts (python3-ipfix)."""
    out = []
    for d in dicts:
        src = d.get("sourceIPv4Address", d.get("sourceIPv6Address"))
        if src is None:
            continue
        dst = d.get("destinationIPv4Address", d.get("destinationIPv6Address"))
        r = {
            "src_addr": canon_addr(str(src)), "dst_addr": canon_addr(str(dst)),
            "src_port": d.get("sourceTransportPort", 0), "dst_port": d.get("destinationTransportPort", 0),
            "protocol": d.get("protocolIdentifier"), "packets": d.get("packetDeltaCount"),
            "octets": d.get("octetDeltaCount"),
            "in_if": d.get("ingressInterface", 0), "out_if": d.get("egressInterface", 0),
            "src_asn": d.get("bgpSourceAsNumber", 0), "dst_asn": d.get("bgpDestinationAsNumber", 0),
            "end_reason": d.get("flowEndReason"), "raw": d,
        }
        for k, f in (("start_ms", "flowStartMilliseconds"), ("end_ms", "flowEndMilliseconds")):
            v = d.get(f)
            if v is not None:
                r[k] = calendar.timegm(v.utctimetuple()) * 1000 + v.microsecond // 1000
        if r["protocol"] in (1, 58):
            tc = d.get("icmpTypeCodeIPv4", d.get("icmpTypeCodeIPv6"))
            r["src_port"] = 0
            if tc is not None:
                r["dst_port"] = tc
        out.append(r)
    return out


# ---- tshark ----------------------------------------------------------------

class TsharkCapture:
    """dumpcap/tshark capture of UDP to the given ports on lo."""

    def __init__(self, work, name, ports):
        self.path = os.path.join(work, name + ".pcap")
        self.ports = list(ports)
        flt = " or ".join(f"udp dst port {p}" for p in self.ports)
        self.probe_port = free_port()
        flt += f" or udp dst port {self.probe_port}"
        self.proc = started(Proc(["tshark", "-q", "-i", "lo", "-f", flt, "-w", self.path],
                                 os.path.join(work, name + ".tshark.log"), stop_signal=signal.SIGINT))
        # dumpcap prints "Capturing on" a moment before it really captures:
        # send probes to a port of the filter until the file grows.
        wait_for(lambda: "Capturing on" in self.proc.log_text(), 15, "tshark started")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        base = [None]

        def grown():
            if not os.path.exists(self.path):
                return False
            size = os.path.getsize(self.path)
            if base[0] is None:
                base[0] = size
            s.sendto(b"probe", ("127.0.0.1", self.probe_port))
            time.sleep(0.1)
            return os.path.getsize(self.path) > base[0]
        wait_for(grown, 15, "tshark capturing")
        s.close()

    def stop(self):
        return self.proc.stop()

    def flows(self):
        """Every cflow data record, as dicts of field name -> show value."""
        args = ["tshark", "-r", self.path, "-o", "cflow.max_template_fields:200", "-T", "pdml"]
        for p in self.ports:
            args += ["-d", f"udp.port=={p},cflow"]
        p = subprocess.run(args, capture_output=True, text=True, errors="replace")
        root = ET.fromstring(p.stdout)
        out = []
        for pkt in root.iter("packet"):
            hdr = {}
            for f in pkt.iter("field"):
                if f.get("name") == "udp.dstport":
                    hdr["udp.dstport"] = int(f.get("show"))
                    break
            for proto in pkt.iter("proto"):
                if proto.get("name") != "cflow":
                    continue
                for f in proto.iter("field"):
                    if f.get("name") in ("cflow.version", "cflow.sysuptime", "cflow.unix_secs",
                                         "cflow.od_id", "cflow.source_id", "cflow.count",
                                         "cflow.sequence", "cflow.flow_sequence",
                                         "cflow.sampling_interval", "cflow.sampling_mode",
                                         "cflow.unix_nsecs"):
                        hdr.setdefault(f.get("name"), f.get("show"))
                        hdr.setdefault(f.get("name") + "#value", f.get("value"))
                for fl in proto.iter("field"):
                    show = fl.get("show") or ""
                    if fl.get("name") == "" and (show.startswith("Flow ") or show.startswith("pdu ")):
                        d = {"_hdr": hdr, "_nsecs": hdr.get("cflow.unix_nsecs", "0")}
                        for f in fl.iter("field"):
                            n = f.get("name")
                            if n and n not in d:
                                d[n] = f.get("show")
                                d[n + "#value"] = f.get("value")
                        out.append(d)
        return out, p


def tshark_records(flows, port=None):
    """Canonical records of the data records sent to port (all when None)."""
    out = []
    for d in flows:
        if port is not None and d["_hdr"].get("udp.dstport") != port:
            continue
        src = d.get("cflow.srcaddr") or d.get("cflow.srcaddrv6")
        if not src:
            continue
        dst = d.get("cflow.dstaddr") or d.get("cflow.dstaddrv6")
        r = {
            "src_addr": canon_addr(src), "dst_addr": canon_addr(dst),
            "src_port": int(d.get("cflow.srcport", 0)), "dst_port": int(d.get("cflow.dstport", 0)),
            "protocol": int(d["cflow.protocol"]) if "cflow.protocol" in d else None,
            "packets": int(d["cflow.packets"]) if "cflow.packets" in d else None,
            "octets": int(d["cflow.octets"]) if "cflow.octets" in d else None,
            "in_if": int(d.get("cflow.inputint", 0)), "out_if": int(d.get("cflow.outputint", 0)),
            "src_asn": int(d.get("cflow.srcas", 0)), "dst_asn": int(d.get("cflow.dstas", 0)),
            "raw": d,
        }
        if d.get("cflow.abstimestart#value"):
            r["start_ms"] = int(d["cflow.abstimestart#value"], 16)
            r["end_ms"] = int(d["cflow.abstimeend#value"], 16)
        elif d.get("cflow.timestart#value"):
            # NetFlow v9/v5: ms of sysUpTime; boot = unix_secs(.nsecs) - sysUpTime
            h = d["_hdr"]
            now = int(h["cflow.unix_secs#value"], 16) * 1000
            boot = now - int(h["cflow.sysuptime#value"], 16)
            if h.get("cflow.version") == "5":
                # v5 carries unix_nsecs and sysUpTime at that instant
                p = int(d.get("_nsecs", "0"))
                boot += p // 1000000
            r["start_ms"] = boot + int(d["cflow.timestart#value"], 16)
            r["end_ms"] = boot + int(d["cflow.timeend#value"], 16)
        if r["protocol"] in (1, 58):
            r["src_port"] = 0
            if "cflow.icmp_ipv6_type" in d and r["protocol"] == 58 and d["_hdr"].get("cflow.version") == "10":
                r["dst_port"] = int(d["cflow.icmp_ipv6_type"]) << 8 | int(d["cflow.icmp_ipv6_code"])
            elif d.get("cflow.icmp_type_code_ipv4#value"):
                r["dst_port"] = int(d["cflow.icmp_type_code_ipv4#value"], 16)
        out.append(r)
    return out


def main():
    """collectors.py compare-nfdump DIR RFM_JSONL [START_MIN_MS [START_MAX_MS]]:
    the flows nfdump reads from DIR equal rfm's records whose start_ms lies
    in the range (all by default), field by field. Exit 0 if equal."""
    if len(sys.argv) < 4 or sys.argv[1] != "compare-nfdump":
        print(main.__doc__)
        sys.exit(2)
    lo = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    hi = int(sys.argv[5]) if len(sys.argv) > 5 else 1 << 62
    want = [r for r in rfm_records(sys.argv[3]) if lo <= r["start_ms"] <= hi]
    nf = Nfcapd.__new__(Nfcapd)
    nf.dir = sys.argv[2]
    got = nf.records()
    check(len(want) > 0, f"rfm has records starting in [{lo}, {hi}]", "none")
    compare(f"nfdump {nf.dir}", got, want,
            ["src_addr", "dst_addr", "src_port", "dst_port", "protocol", "packets", "octets",
             "start_ms", "end_ms", "in_if", "out_if", "src_asn", "dst_asn"])
    finish()


if __name__ == "__main__":
    main()
