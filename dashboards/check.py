#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Checks the Grafana dashboard and the Prometheus alert rules in dashboards/.

  check.py            validate rfm.json, rfm-alerts.yml, rfm-alerts.test.yml (exit 0/1,
                      77 when promtool is missing)
  check.py --exprs    print every PromQL expression of rfm.json, one a line, with the
                      dashboard variables replaced (see --help), for a live test to query

What the validation covers:
  - rfm.json loads; panel ids unique; every panel has a gridPos, a description and the
    ${datasource} data source (on the panel and each target); templating variables.
  - traffic panels (rfm_interface_*/rfm_flow_* packets and bytes) say which direction
    they use in the description, and every such selector either pins one direction or
    keeps the direction label in every aggregation, so no total adds ingress to egress.
  - every expression (targets, label_values() selectors) parses: they are written as
    recording rules into a temporary file for `promtool check rules`.
  - every rfm_* / process_* name in the dashboard, the alerts and the alert tests is in
    metrics.txt (the names agreed in issue #6).
  - each alert has a firing and a non-firing case in rfm-alerts.test.yml;
    `promtool check rules` and `promtool test rules` pass.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77

DS_REF = "${datasource}"
TRAFFIC_RE = re.compile(r"\b(rfm_(?:interface|flow)_(?:packets|bytes)_total)\b(\{([^}]*)\})?")
METRIC_RE = re.compile(r"\b(?:rfm|process)_[a-zA-Z0-9_]*")
VAR_RE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")
AGG_RE = re.compile(r"\b(sum|avg|count|max|min|group)\s*(by|without)?\s*(\(([^()]*)\))?\s*\(")


def load_metrics(path):
    names = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.add(line)
    return names


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def template_exprs(dash):
    """(where, PromQL) for each query variable; label_values(SEL, label) yields SEL."""
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query", "")
        m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", q or "", re.S)
        if m:
            q = m.group(1)
        else:
            m = re.fullmatch(r"\s*query_result\((.*)\)\s*", q or "", re.S)
            if m:
                q = m.group(1)
        yield f"variable {v.get('name')}", q


def dashboard_exprs(dash):
    """(where, PromQL) for every target and query variable, variables not substituted."""
    out = []
    for p in walk_panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            if "expr" in t:
                out.append((f"panel {p.get('id')} \"{p.get('title')}\" ref {t.get('refId')}",
                            t["expr"]))
    out.extend(template_exprs(dash))
    return out


def substitute(expr, values):
    """Replaces $var, ${var}, ${var:fmt} and [[var]]; unknown names are left in place."""
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        return values.get(name, m.group(0))
    return VAR_RE.sub(repl, expr)


def one_line(expr):
    return " ".join(expr.split())


def check_traffic_direction(where, expr, errors):
    """A traffic selector must pin direction, or every aggregation must keep it."""
    for m in TRAFFIC_RE.finditer(expr):
        labels = m.group(3) or ""
        if re.search(r'\bdirection\s*=\s*"(ingress|egress)"', labels):
            continue
        for a in AGG_RE.finditer(expr):
            kind, grouping = a.group(2), a.group(4) or ""
            keeps = [s.strip() for s in grouping.split(",")]
            if kind == "by" and "direction" in keeps:
                continue
            if kind == "without" and "direction" not in keeps:
                continue
            errors.append(f"{where}: {m.group(1)} has no direction=\"ingress|egress\" "
                          f"matcher and '{a.group(0).strip()}' drops the direction label "
                          "(ingress + egress would count forwarded traffic twice)")
            break


def check_dashboard(dash, errors):
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 37:
        errors.append("rfm.json: schemaVersion missing or below 37")
    variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        errors.append("rfm.json: no 'datasource' variable of type datasource/prometheus")
    for name in ("instance", "interface"):
        if variables.get(name, {}).get("type") != "query":
            errors.append(f"rfm.json: no query variable '{name}'")
    iface = variables.get("interface", {})
    if not (iface.get("multi") and iface.get("includeAll")):
        errors.append("rfm.json: variable 'interface' must be multi-value with All")
    for name, v in variables.items():
        if v.get("type") == "query" and (v.get("datasource") or {}).get("uid") != DS_REF:
            errors.append(f"rfm.json: variable {name} does not use {DS_REF}")

    ids = {}
    for p in walk_panels(dash.get("panels", [])):
        pid, title = p.get("id"), p.get("title")
        where = f"panel {pid} \"{title}\""
        if pid in ids:
            errors.append(f"{where}: id {pid} also used by \"{ids[pid]}\"")
        ids[pid] = title
        gp = p.get("gridPos") or {}
        if not all(isinstance(gp.get(k), int) for k in ("x", "y", "w", "h")):
            errors.append(f"{where}: gridPos needs integer x, y, w, h")
        elif gp["x"] + gp["w"] > 24:
            errors.append(f"{where}: gridPos is wider than the 24-column grid")
        if p.get("type") == "row":
            continue
        if (p.get("datasource") or {}).get("uid") != DS_REF:
            errors.append(f"{where}: datasource is not {DS_REF}")
        desc = p.get("description") or ""
        if not desc:
            errors.append(f"{where}: no description")
        if not p.get("targets"):
            errors.append(f"{where}: no targets")
        traffic = False
        for t in p.get("targets", []):
            if (t.get("datasource") or {}).get("uid") != DS_REF:
                errors.append(f"{where} ref {t.get('refId')}: datasource is not {DS_REF}")
            expr = t.get("expr", "")
            if TRAFFIC_RE.search(expr):
                traffic = True
                check_traffic_direction(f"{where} ref {t.get('refId')}", expr, errors)
        if traffic and not re.search(r"\b(ingress|egress)\b", desc):
            errors.append(f"{where}: shows traffic but its description names no direction "
                          "(ingress/egress)")


def check_exprs_parse(promtool, exprs, values, errors):
    """Writes the expressions as recording rules and runs `promtool check rules`."""
    rules = []
    for i, (where, expr) in enumerate(exprs):
        e = substitute(expr, values)
        left = VAR_RE.search(e)
        if left:
            errors.append(f"{where}: unknown dashboard variable {left.group(0)}")
        rules.append({"record": f"rfm_dashboard:expr_{i}", "expr": e})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dashboard-exprs.yml")
        with open(path, "w", encoding="utf-8") as f:
            yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
        r = subprocess.run([promtool, "check", "rules", path],
                           capture_output=True, text=True)
    if r.returncode != 0:
        out = (r.stdout + r.stderr).strip()
        bad = {int(n) for n in re.findall(r"rfm_dashboard:expr_(\d+)", out)}
        for n in sorted(bad):
            errors.append(f"{exprs[n][0]}: PromQL does not parse: {one_line(rules[n]['expr'])}")
        errors.append("promtool check rules (dashboard expressions) failed:\n" + out)


def alert_rules(alerts):
    for g in alerts.get("groups", []):
        for r in g.get("rules", []):
            yield g.get("name"), r


def check_alerts(alerts, tests, errors):
    names = []
    groups = [g.get("name") for g in alerts.get("groups", [])]
    if "rfm" not in groups:
        errors.append("rfm-alerts.yml: no group 'rfm'")
    for _, r in alert_rules(alerts):
        name = r.get("alert")
        if not name:
            continue
        names.append(name)
        labels, ann = r.get("labels") or {}, r.get("annotations") or {}
        if labels.get("severity") not in ("info", "warning", "critical"):
            errors.append(f"alert {name}: severity label must be info, warning or critical")
        for a in ("summary", "description"):
            if not ann.get(a):
                errors.append(f"alert {name}: no {a} annotation")
    firing, quiet = set(), set()
    for t in tests.get("tests", []):
        for c in t.get("alert_rule_test", []):
            (firing if c.get("exp_alerts") else quiet).add(c.get("alertname"))
    for name in names:
        if name not in firing:
            errors.append(f"alert {name}: no firing case in rfm-alerts.test.yml")
        if name not in quiet:
            errors.append(f"alert {name}: no non-firing case in rfm-alerts.test.yml")
    for name in (firing | quiet) - set(names):
        errors.append(f"rfm-alerts.test.yml: tests unknown alert {name}")


def check_metric_names(known, sources, errors):
    for where, text in sources:
        for name in sorted(set(METRIC_RE.findall(text))):
            if name not in known:
                errors.append(f"{where}: metric {name} is not in metrics.txt")


def run_promtool(promtool, args, cwd, errors):
    r = subprocess.run([promtool] + args, capture_output=True, text=True, cwd=cwd)
    if r.returncode != 0:
        errors.append(f"promtool {' '.join(args)} failed (rc {r.returncode}):\n"
                      + (r.stdout + r.stderr).strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=HERE, help="directory holding the dashboard files")
    ap.add_argument("--exprs", action="store_true",
                    help="print the dashboard's expressions with variables substituted")
    ap.add_argument("--json", action="store_true",
                    help="with --exprs: a JSON list of {where, expr} instead of lines")
    ap.add_argument("--instance", default=".*", help="value (regex) for $instance")
    ap.add_argument("--interface", default=".*", help="value (regex) for $interface")
    ap.add_argument("--rate-interval", default="1m", help="value for $__rate_interval")
    ap.add_argument("--topk", default="10", help="value for $topk")
    args = ap.parse_args()

    values = {"instance": args.instance, "interface": args.interface,
              "__rate_interval": args.rate_interval, "__interval": "15s",
              "__range": "1h", "topk": args.topk}
    with open(os.path.join(args.dir, "rfm.json"), encoding="utf-8") as f:
        dash = json.load(f)
    exprs = dashboard_exprs(dash)

    if args.exprs:
        out = [(w, one_line(substitute(e, values))) for w, e in exprs]
        if args.json:
            print(json.dumps([{"where": w, "expr": e} for w, e in out], indent=1))
        else:
            for _, e in out:
                print(e)
        return 0

    promtool = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if not promtool:
        print("SKIP: promtool not found (Debian package prometheus)", file=sys.stderr)
        return SKIP

    errors = []
    known = load_metrics(os.path.join(args.dir, "metrics.txt"))
    with open(os.path.join(args.dir, "rfm-alerts.yml"), encoding="utf-8") as f:
        alerts = yaml.safe_load(f)
    with open(os.path.join(args.dir, "rfm-alerts.test.yml"), encoding="utf-8") as f:
        tests = yaml.safe_load(f)

    check_dashboard(dash, errors)
    check_exprs_parse(promtool, exprs, values, errors)
    sources = [(f"rfm.json {w}", e) for w, e in exprs]
    sources += [(f"rfm-alerts.yml {g}/{r.get('alert') or r.get('record')}", str(r.get("expr")))
                for g, r in alert_rules(alerts)]
    for t in tests.get("tests", []):
        for s in t.get("input_series", []):
            sources.append(("rfm-alerts.test.yml input_series", s.get("series", "")))
        for c in t.get("promql_expr_test", []):
            sources.append(("rfm-alerts.test.yml promql_expr_test", c.get("expr", "")))
    check_metric_names(known, sources, errors)
    check_alerts(alerts, tests, errors)
    run_promtool(promtool, ["check", "rules", "rfm-alerts.yml"], args.dir, errors)
    run_promtool(promtool, ["test", "rules", "rfm-alerts.test.yml"], args.dir, errors)

    for e in errors:
        print("FAIL:", e)
    n_alerts = sum(1 for _, r in alert_rules(alerts) if r.get("alert"))
    print(f"{len(exprs)} dashboard expressions, {n_alerts} alerts, "
          f"{len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
