#!/usr/bin/env python3
"""Listens on N loopback TCP ports and reports every connection: the hosts of a config a
drill must never reach. Prints "ports P1 P2 ..." once listening, then "connection PORT" for
each accepted connection (closed at once). Exits by itself after --lifetime seconds."""
import argparse
import select
import socket
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--count", type=int, default=4)
parser.add_argument("--lifetime", type=float, default=600)
args = parser.parse_args()

listeners = []
for _ in range(args.count):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listeners.append(listener)
print("ports " + " ".join(str(l.getsockname()[1]) for l in listeners), flush=True)
deadline = time.time() + args.lifetime
while time.time() < deadline:
    ready, _, _ = select.select(listeners, [], [], 0.5)
    for listener in ready:
        connection, _ = listener.accept()
        print("connection %d" % listener.getsockname()[1], flush=True)
        connection.close()
