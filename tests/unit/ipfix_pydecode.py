#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
# ipfix_pydecode.py SPEC FILE - print every flow record (one with octetDeltaCount) of the
# IPFIX file FILE as decoded by python3-ipfix with the IESpec SPEC: one line per record,
# its fields sorted by name as name=value, tab-separated; addresses as text, times in
# Unix milliseconds. Used by test_ipfix.c to compare with what the records must hold.
import datetime
import ipaddress
import sys

import ipfix.ie
import ipfix.reader

EPOCH = datetime.datetime(1970, 1, 1)


def text(v):
    if isinstance(v, datetime.datetime):  # python3-ipfix: naive UTC
        return str((v - EPOCH) // datetime.timedelta(milliseconds=1))
    if isinstance(v, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return str(v)
    if isinstance(v, bytes):
        return v.decode("utf-8")
    return str(v)


ipfix.ie.use_iana_default()
ipfix.ie.use_specfile(sys.argv[1])
with open(sys.argv[2], "rb") as f:
    for rec in ipfix.reader.from_stream(f).namedict_iterator():
        if "octetDeltaCount" in rec:
            print("\t".join("%s=%s" % (k, text(rec[k])) for k in sorted(rec)))
