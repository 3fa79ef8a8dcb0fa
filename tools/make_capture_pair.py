#!/usr/bin/env python3
"""Record a primary/secondary capture pair from the real Linux TCP/IP stack (root; network namespaces + veth).

Runs the same small server twice (once as the "primary", once as the "secondary"), each time in a fresh namespace pair,
captures only the frames the server sends, then aligns the secondary onto the primary the way COLO's filter-rewriter
would (client port, TCP seq/ack shifted by the ISN differences). Used to check `colo-proxy replay` on traffic it was
not developed against. Example:

  tools/make_capture_pair.py --out /tmp/pair --ipv6 --mtu-secondary 1280 --secondary-body-change 100000
"""
import argparse, os, socket, struct, subprocess, sys, threading, time

def sh(*args, check=True):
    return subprocess.run(args, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

def setup(tag, ipv6, mtu):
    s, c = f"cps{tag}", f"cpc{tag}"
    for ns in (s, c):
        sh("ip", "netns", "del", ns, check=False)
        sh("ip", "netns", "add", ns)
    sh("ip", "link", "add", f"vs{tag}", "netns", s, "type", "veth", "peer", "name", f"vc{tag}", "netns", c)
    for ns, dev, a4, a6 in ((s, f"vs{tag}", "10.88.0.1/24", "fd88::1/64"), (c, f"vc{tag}", "10.88.0.2/24", "fd88::2/64")):
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", ns, "link", "set", dev, "address", "02:00:00:88:00:01" if ns == s else "02:00:00:88:00:02")
        sh("ip", "-n", ns, "addr", "add", a4, "dev", dev)
        sh("ip", "-n", ns, "addr", "add", a6, "dev", dev, "nodad")
        if mtu:
            sh("ip", "-n", ns, "link", "set", dev, "mtu", str(mtu))
        sh("ip", "-n", ns, "link", "set", dev, "up")
    return s, c

def teardown(tag):
    for ns in (f"cps{tag}", f"cpc{tag}"):
        sh("ip", "netns", "del", ns, check=False)

SERVER = r'''
import socket, sys, time
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
body = bytes((i * 7 + i // 251) & 0xFF for i in range(int(sys.argv[2])))
change = int(sys.argv[3]); cut = int(sys.argv[4]); conns = int(sys.argv[5]); chunk = int(sys.argv[6])
if change >= 0:
    body = body[:change] + bytes([body[change] ^ 1]) + body[change + 1:]
if cut >= 0:
    body = body[:cut]
s = socket.socket(fam, socket.SOCK_STREAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("fd88::1" if fam == socket.AF_INET6 else "10.88.0.1", 8080)); s.listen(16)
print("ready", flush=True)
for _ in range(conns):
    c, _ = s.accept(); c.recv(100)
    for i in range(0, len(body), chunk):
        c.sendall(body[i:i + chunk])
    c.close()
'''

def run(tag, args, change, cut, mtu, out):
    s, c = setup(tag, args.ipv6, mtu)
    try:
        cap = subprocess.Popen(["ip", "netns", "exec", s, "dumpcap", "-q", "-P", "-i", f"vs{tag}", "-w", out,
                                "-f", "src host " + ("fd88::1" if args.ipv6 else "10.88.0.1")], stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        srv = subprocess.Popen(["ip", "netns", "exec", s, sys.executable, "-c", SERVER, "6" if args.ipv6 else "4",
                                str(args.body), str(change), str(cut), str(args.connections), str(args.chunk)], stdout=subprocess.PIPE, text=True)
        srv.stdout.readline()
        client = ("import socket,sys\nfam=socket.AF_INET6 if sys.argv[1]=='6' else socket.AF_INET\n"
                  "for i in range(int(sys.argv[2])):\n  k=socket.socket(fam); k.connect((sys.argv[3],8080)); k.sendall(b'GET'); n=0\n"
                  "  while True:\n    d=k.recv(65536)\n    if not d: break\n    n+=len(d)\n  k.close()\n")
        sh("ip", "netns", "exec", c, sys.executable, "-c", client, "6" if args.ipv6 else "4", str(args.connections),
           "fd88::1" if args.ipv6 else "10.88.0.1")
        srv.wait(timeout=30)
        time.sleep(1.0)
        cap.terminate(); cap.wait(timeout=10)
    finally:
        teardown(tag)

def read_pcap(path):
    with open(path, "rb") as f:
        hdr = f.read(24); recs = []
        while True:
            h = f.read(16)
            if len(h) < 16: break
            ts, tu, cl, ol = struct.unpack("<IIII", h); recs.append([ts, tu, bytearray(f.read(cl))])
    return hdr, recs

def tcp_view(d):
    et = struct.unpack(">H", d[12:14])[0]
    if et == 0x0800:
        ihl = (d[14] & 15) * 4; return 14 + ihl
    if et == 0x86DD:
        return 14 + 40 if d[20] == 6 else None
    return None

def align(primary, secondary, out):
    _, p = read_pcap(primary); hdr, s = read_pcap(secondary)
    def conns(recs):
        order, isn = [], {}
        for _, _, d in recs:
            t = tcp_view(d)
            if t is None: continue
            dport = struct.unpack(">H", d[t + 2:t + 4])[0]; flags = d[t + 13]
            if flags & 2 and dport not in isn:
                isn[dport] = (struct.unpack(">I", d[t + 4:t + 8])[0], struct.unpack(">I", d[t + 8:t + 12])[0]); order.append(dport)
        return order, isn
    po, pi = conns(p); so, si = conns(s)
    mapping = {sp: (pp, (pi[pp][0] - si[sp][0]) & 0xFFFFFFFF, (pi[pp][1] - si[sp][1]) & 0xFFFFFFFF) for sp, pp in zip(so, po)}
    t0p, t0s = p[0][0] + p[0][1] / 1e6, s[0][0] + s[0][1] / 1e6
    with open(out, "wb") as f:
        f.write(hdr)
        for ts, tu, d in s:
            t = tcp_view(d)
            if t is not None:
                dport = struct.unpack(">H", d[t + 2:t + 4])[0]
                if dport in mapping:
                    pp, dseq, dack = mapping[dport]
                    seq = (struct.unpack(">I", d[t + 4:t + 8])[0] + dseq) & 0xFFFFFFFF
                    ack = (struct.unpack(">I", d[t + 8:t + 12])[0] + dack) & 0xFFFFFFFF
                    d[t + 2:t + 4] = struct.pack(">H", pp); d[t + 4:t + 8] = struct.pack(">I", seq)
                    if d[t + 13] & 0x10: d[t + 8:t + 12] = struct.pack(">I", ack)
            when = ts + tu / 1e6 - t0s + t0p
            f.write(struct.pack("<IIII", int(when), int(round((when - int(when)) * 1e6)) % 1000000, len(d), len(d))); f.write(d)
    return pi

def main():
    a = argparse.ArgumentParser()
    a.add_argument("--out", required=True); a.add_argument("--ipv6", action="store_true")
    a.add_argument("--body", type=int, default=300000); a.add_argument("--connections", type=int, default=1)
    a.add_argument("--chunk", type=int, default=65536)
    a.add_argument("--mtu-primary", type=int, default=0); a.add_argument("--mtu-secondary", type=int, default=0)
    a.add_argument("--secondary-body-change", type=int, default=-1, help="flip one bit of this body byte on the secondary")
    a.add_argument("--secondary-cut", type=int, default=-1, help="the secondary sends only this many body bytes (early FIN)")
    args = a.parse_args()
    os.makedirs(args.out, exist_ok=True)
    run("p", args, -1, -1, args.mtu_primary, os.path.join(args.out, "primary.pcap"))
    run("s", args, args.secondary_body_change, args.secondary_cut, args.mtu_secondary, os.path.join(args.out, "raw-secondary.pcap"))
    isn = align(os.path.join(args.out, "primary.pcap"), os.path.join(args.out, "raw-secondary.pcap"), os.path.join(args.out, "secondary.pcap"))
    os.remove(os.path.join(args.out, "raw-secondary.pcap"))
    print("isn (server, client) by client port:", isn)

if __name__ == "__main__":
    main()
