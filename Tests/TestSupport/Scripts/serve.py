#!/usr/bin/env python3
"""An HTTPS server that pbsha did not write: python3's ssl module (OpenSSL) on loopback.

It answers the calls pbsha reads with JSON shaped like a real PBS or PVE answers them
(shared/reference/pbs-api.md), or misbehaves at the TLS or HTTP level on purpose.
Prints "listening PORT" once it accepts connections and exits by itself after --lifetime.

Modes:
  pbs-primary, pbs-secondary, pve   PBS/PVE-shaped answers, times relative to now
  close-before-answer               TLS handshake, read the request, close_notify, close
  unclean-mid-body                  half a response, then drop TCP without close_notify
  eof-in-handshake                  accept TCP, close before any TLS
  plain-http                        no TLS: an HTTP/1.1 400 to whatever arrives
  not-http                          TLS, then bytes that are not HTTP
  webhook                           logs each request's body, answers 200 "ok"

With --keep-alive SECONDS the PBS/PVE modes answer many requests per connection (HTTP/1.1
keep-alive) and close one that stays idle that long. The log has "connection" for each
connection accepted.
"""
import argparse
import hashlib
import json
import socket
import ssl
import sys
import threading
import time
import urllib.parse

SYNC_JOB = "primary-mirror"
SYNC_WORKER = "primary-hub:main:mirror::" + SYNC_JOB


def escape_worker(worker):
    """systemd-style escaping of a UPID worker id, as PBS writes it."""
    out = []
    for ch in worker:
        if ch.isalnum() or ch in "_.":
            out.append(ch)
        else:
            out.append("\\x%02x" % ord(ch))
    return "".join(out)


def upid(node, task, start, worker_type, worker, user="root@pam"):
    return "UPID:%s:%08X:%08X:%08X:%08X:%s:%s:%s:" % (
        node, 4242, 117219, task, start, worker_type, escape_worker(worker), user)


def task_row(node, task, start, end, worker_type, worker, status="OK", user="root@pam"):
    return {"upid": upid(node, task, start, worker_type, worker, user), "node": "localhost",
            "pid": 4242, "pstart": 117219, "starttime": start, "worker_type": worker_type,
            "worker_id": worker, "user": user, "endtime": end, "status": status}


def fingerprint(cert_file):
    with open(cert_file) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    digest = hashlib.sha256(der).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 64, 2))


class Timeline:
    """The moments the answers describe, relative to `now`: the primary's snapshots per
    group, the secondary's last sync (it holds the snapshots up to then), the verifies."""

    def __init__(self, now):
        self.now = now
        self.last_sync_end = now - 1200
        self.primary_snapshots = {
            ("vm", "100"): [now - 2 * 86400, now - 86400, now - 7200],
            ("vm", "101"): [now - 86400, now - 600],
            ("ct", "200"): [now - 86400 - 300],
        }
        self.primary_verify_start = now - 5 * 3600
        self.secondary_verify_start = now - 4 * 3600


def snapshot(kind, ident, when, owner, verification):
    item = {"backup-type": kind, "backup-id": ident, "backup-time": when,
            "files": [{"filename": "index.json.blob", "crypt-mode": "none", "size": 572},
                      {"filename": "drive-scsi0.img.fidx", "crypt-mode": "none", "size": 34359738368}],
            "size": 34359738940, "owner": owner, "protected": False}
    if verification:
        item["verification"] = verification
    return item


def pbs_answers(role, peer_fingerprint, t):
    primary = role == "pbs-primary"
    node = "pbs1" if primary else "pbs2"
    store = "main" if primary else "mirror"
    verify_upid = upid("pbs1", 9, t.primary_verify_start, "verificationjob", "main:v-main")
    own_verify_upid = upid("pbs2", 31, t.secondary_verify_start, "verificationjob", "mirror:v-mirror")
    snapshots = []
    for (kind, ident), times in t.primary_snapshots.items():
        for when in times:
            if not primary and when > t.last_sync_end:
                continue
            verified = when < t.primary_verify_start
            state = {"state": "ok", "upid": verify_upid} if verified else None
            if not primary and not verified:
                state = {"state": "ok", "upid": own_verify_upid}
            owner = "pve@pbs!backup" if primary else "root@pam"
            snapshots.append(snapshot(kind, ident, when, owner, state))
    counts = {}
    for item in snapshots:
        entry = counts.setdefault(item["backup-type"], {"groups": set(), "snapshots": 0})
        entry["groups"].add(item["backup-id"])
        entry["snapshots"] += 1
    counts = {k: {"groups": len(v["groups"]), "snapshots": v["snapshots"]} for k, v in counts.items()}
    # GET .../groups as PBS answers it: per group the newest finished snapshot's time and
    # archive names, the count, the owner.
    groups = {}
    for item in snapshots:
        key = (item["backup-type"], item["backup-id"])
        group = groups.setdefault(key, {"backup-type": key[0], "backup-id": key[1], "last-backup": 0, "backup-count": 0,
                                        "files": [], "owner": item["owner"]})
        group["backup-count"] += 1
        if item["backup-time"] > group["last-backup"]:
            group["last-backup"] = item["backup-time"]
            group["files"] = [f["filename"] for f in item["files"]]
    total = 4000787030016 if primary else 6001175126016
    used = 1234567890123 if primary else 987654321098
    answers = {
        "/api2/json/version": {"version": "4.1", "release": "2", "repoid": "4b8bd4c5e0bb1b3c"},
        "/api2/json/nodes/localhost/time": lambda: {"timezone": "Europe/Vienna", "time": int(time.time()),
                                                    "localtime": int(time.time()) + 3600},
        "/api2/json/admin/datastore": [{"store": store, "comment": "", "mount-status": "nonremovable",
                                        "backend-type": "filesystem"}],
        "/api2/json/admin/datastore/%s/status?verbose=1" % store: {
            "total": total, "used": used, "avail": total - used, "backend-type": "filesystem",
            "gc-status": {"upid": None, "index-file-count": 0, "index-data-bytes": 0, "disk-bytes": 0,
                          "disk-chunks": 0, "removed-bytes": 0, "removed-chunks": 0, "pending-bytes": 0,
                          "pending-chunks": 0, "removed-bad": 0, "still-bad": 0},
            "counts": counts},
        "/api2/json/admin/datastore/%s/namespace" % store: [{"ns": ""}],
        "/api2/json/admin/datastore/%s/snapshots" % store: snapshots,
        "/api2/json/admin/datastore/%s/groups" % store: list(groups.values()),
    }
    if primary:
        answers["/api2/json/nodes/localhost/tasks?typefilter=syncjob"] = []
        answers["/api2/json/nodes/localhost/tasks?typefilter=verif"] = [
            task_row(node, 9, t.primary_verify_start, t.primary_verify_start + 340, "verificationjob", "main:v-main")]
    else:
        runs = [task_row(node, 40 - i, t.last_sync_end - 65 - i * 3600, t.last_sync_end - i * 3600, "syncjob", SYNC_WORKER)
                for i in range(4)]
        answers["/api2/json/nodes/localhost/tasks?typefilter=syncjob"] = runs
        answers["/api2/json/nodes/localhost/tasks?typefilter=verif"] = [
            task_row(node, 31, t.secondary_verify_start, t.secondary_verify_start + 200, "verificationjob", "mirror:v-mirror")]
        answers["/api2/json/admin/sync?store=mirror"] = [{
            "id": SYNC_JOB, "store": "mirror", "remote": "primary-hub", "remote-store": "main",
            "remove-vanished": False, "schedule": "hourly", "sync-direction": "pull", "owner": "root@pam",
            "next-run": t.last_sync_end - 65 + 3600, "last-run-upid": runs[0]["upid"],
            "last-run-state": "OK", "last-run-endtime": t.last_sync_end}]
        answers["/api2/json/admin/verify?store=mirror"] = [{
            "id": "v-mirror", "store": "mirror", "schedule": "daily", "ignore-verified": True,
            "outdated-after": 30, "next-run": t.now + 3600, "last-run-upid": own_verify_upid,
            "last-run-state": "OK", "last-run-endtime": t.secondary_verify_start + 200}]
        answers["/api2/json/config/remote"] = [{
            "name": "primary-hub", "host": "127.0.0.1", "auth-id": "sync@pbs!mirror",
            "fingerprint": peer_fingerprint}]
    return answers


def pve_answers(peer_fingerprint, peer_port):
    entry = {"storage": "backup-primary", "type": "pbs", "content": "backup", "server": "127.0.0.1",
             "datastore": "main", "username": "pve@pbs!backup", "fingerprint": peer_fingerprint,
             "digest": "5d41402abc4b2a76b9719d911017c592ae0c1c2d"}
    if peer_port != 8007:
        entry["port"] = peer_port  # storage.cfg holds a port only when it is not the default
    return {
        "/api2/json/version": {"version": "8.4.1", "release": "8.4", "repoid": "2a5fa54a8503f96d"},
        "/api2/json/storage?type=pbs": [entry],
        # AccessControl.pm: path => {privilege => propagate}, the flag written as 0 or 1.
        "/api2/json/access/permissions?path=%2Fstorage": {"/storage": {"Datastore.Allocate": 1, "Datastore.Audit": 1, "Datastore.AllocateSpace": 0}},
        "/api2/json/access/permissions?path=%2Fvms%2F100": {"/vms/100": {}},
    }


def lookup(answers, target):
    """The answer whose key is the longest prefix of the request target."""
    path, _, query = target.partition("?")
    best = None
    for key in answers:
        key_path, _, key_query = key.partition("?")
        if key_path != path:
            continue
        if key_query and not query.startswith(key_query):
            continue
        if best is None or len(key) > len(best):
            best = key
    return None if best is None else answers[best]


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
        if len(data) > 65536:
            return None
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return method, target, headers, rest


def respond(conn, status, reason, body, close=True):
    payload = body.encode()
    head = ("HTTP/1.1 %d %s\r\nContent-Type: application/json;charset=UTF-8\r\n"
            "Content-Length: %d\r\n%s\r\n" % (status, reason, len(payload), "Connection: close\r\n" if close else ""))
    conn.sendall(head.encode() + payload)


class Server:
    def __init__(self, args):
        self.args = args
        self.log_lock = threading.Lock()
        peer = fingerprint(args.peer_cert) if args.peer_cert else None
        if args.mode in ("pbs-primary", "pbs-secondary"):
            self.answers = pbs_answers(args.mode, peer, Timeline(args.now or int(time.time())))
            self.auth = "PBSAPIToken=%s:%s" % (args.auth_id, args.secret)
        elif args.mode == "pve":
            self.answers = pve_answers(peer, args.peer_port)
            self.auth = "PVEAPIToken=%s=%s" % (args.auth_id, args.secret)
        else:
            self.answers = None
        self.context = None
        if args.mode not in ("plain-http", "eof-in-handshake"):
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(args.cert, args.key)
            if args.max_tls == "1.1":
                context.set_ciphers("DEFAULT:@SECLEVEL=0")
                context.minimum_version = ssl.TLSVersion.TLSv1
                context.maximum_version = ssl.TLSVersion.TLSv1_1
            elif args.max_tls == "1.2":
                context.maximum_version = ssl.TLSVersion.TLSv1_2
            if args.ciphers:
                context.set_ciphers(args.ciphers)
            if args.require_client_cert:
                context.verify_mode = ssl.CERT_REQUIRED
                context.load_verify_locations(args.cert)
            self.context = context

    def log(self, line):
        if self.args.log:
            with self.log_lock, open(self.args.log, "a") as f:
                f.write(line + "\n")

    def handle(self, raw):
        mode = self.args.mode
        try:
            raw.settimeout(30)
            if mode == "eof-in-handshake":
                # Read the ClientHello first: closing with unread data would send a reset, not EOF.
                raw.recv(16384)
                return
            if mode == "plain-http":
                raw.recv(4096)
                respond(raw, 400, "Bad Request", "plain HTTP on a TLS port")
                return
            conn = self.context.wrap_socket(raw, server_side=True)
            self.log("connection")
            if self.args.keep_alive is not None and mode in ("pbs-primary", "pbs-secondary", "pve"):
                self.serve_kept(conn)
                return
            head = read_head(conn)
            if head is None:
                return
            method, target, headers, rest = head
            self.log("%s %s host=%s" % (method, target, headers.get("host", "")))
            if mode == "close-before-answer":
                conn.unwrap()
                return
            if mode == "unclean-mid-body":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"data\":")
                # Closing the socket without unwrap() sends no close_notify.
                conn.close()
                return
            if mode == "webhook":
                body = rest
                while len(body) < int(headers.get("content-length", "0")):
                    body += conn.recv(4096)
                self.log("body %s" % body.decode("utf-8", "replace"))
                respond(conn, 200, "OK", '"ok"')
                conn.unwrap()
                return
            if mode == "not-http":
                conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\r\n")
                conn.unwrap()
                return
            if headers.get("authorization") != self.auth:
                time.sleep(0.2)  # both delay 401s (by 3 s); a little is enough to be honest here
                if mode == "pve":  # PVE: the reason in the status line, no body
                    respond(conn, 401, "authentication failure", "")
                else:
                    respond(conn, 401, "Unauthorized", "authentication failed - invalid API token")
                return
            answer = lookup(self.answers, target)
            if answer is None:
                path = urllib.parse.urlsplit(target).path
                respond(conn, 404, "Not Found", "Path '%s' not found." % path)
                return
            respond(conn, 200, "OK", json.dumps({"data": answer() if callable(answer) else answer}))
        except (OSError, ssl.SSLError) as error:
            self.log("error %s" % error)
        finally:
            try:
                raw.close()
            except OSError:
                pass

    def serve_kept(self, conn):
        """HTTP/1.1 keep-alive, as PBS's and PVE's servers do: answers on one connection until
        the client closes it or it stays idle for --keep-alive seconds, then closes it
        (close_notify first), as a server's idle timeout does."""
        conn.settimeout(self.args.keep_alive)
        while True:
            try:
                head = read_head(conn)
            except socket.timeout:
                self.log("idle close")
                conn.unwrap()
                return
            if head is None:
                return
            method, target, headers, _ = head
            self.log("%s %s host=%s" % (method, target, headers.get("host", "")))
            if headers.get("authorization") != self.auth:
                respond(conn, 401, "Unauthorized", "authentication failed - invalid API token", close=False)
                continue
            answer = lookup(self.answers, target)
            if answer is None:
                respond(conn, 404, "Not Found", "Path '%s' not found." % urllib.parse.urlsplit(target).path, close=False)
                continue
            respond(conn, 200, "OK", json.dumps({"data": answer() if callable(answer) else answer}), close=False)

    def serve(self):
        family = socket.AF_INET6 if ":" in self.args.bind else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.args.bind, self.args.port))
        listener.listen(16)
        listener.settimeout(0.5)
        print("listening %d" % listener.getsockname()[1], flush=True)
        deadline = time.time() + self.args.lifetime
        while time.time() < deadline:
            try:
                raw, _ = listener.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self.handle, args=(raw,), daemon=True).start()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--auth-id", default="")
    parser.add_argument("--secret", default="")
    parser.add_argument("--peer-cert", help="the primary's certificate, for fingerprints in remotes and storage entries")
    parser.add_argument("--peer-port", type=int, default=8007, help="the primary's port, for PVE's storage entry")
    parser.add_argument("--max-tls", choices=["1.1", "1.2"])
    parser.add_argument("--ciphers")
    parser.add_argument("--require-client-cert", action="store_true")
    parser.add_argument("--keep-alive", type=float, help="PBS/PVE modes: keep connections, closing one idle this many seconds")
    parser.add_argument("--log")
    parser.add_argument("--lifetime", type=float, default=300)
    parser.add_argument("--now", type=int, help="the epoch the answers describe (servers started apart agree)")
    args = parser.parse_args()
    Server(args).serve()


if __name__ == "__main__":
    sys.exit(main())
