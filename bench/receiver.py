"""Callback receiver benchmark: durable callbacks per second over HTTPS, and a SIGKILL.

    python bench/receiver.py [--processes 4] [--threads 4] [--callbacks 40000]

The receiver (`pipelines/receiver.py`) runs in its own process with a trustme certificate
and a fresh SQLite store. The load comes from `--processes` sender processes of `--threads`
threads each (16 senders by default), every thread on its own keep-alive HTTPS connection,
posting Amzpecty-shaped callbacks with unique rids and retrying any failure with back-off,
as the sandbox's outbox does.

1. Throughput: `--callbacks` callbacks; acknowledged (so durable) callbacks per second and
   the latency of each POST (p50, p99).
2. Under abuse: the same load while other clients hold 200 connections open without a byte
   (127.0.0.2) and five send their headers a byte a second (127.0.0.3, slowloris), the
   receiver's deadlines at 2 s: the valid callbacks' rate and latency, how many flood
   connections got in (the per-client cap) and what the slow ones were answered (408).
3. Crash: `--kill-callbacks` callbacks; the receiver is SIGKILLed while under load and
   restarted on the same port; every rid must be in the store exactly once.

The last line printed is one JSON object of every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import select
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, finish
from sources.common.clock import SYSTEM_CLOCK

SECRET = "bench-secret-key-6f0e2a"
RETRY_BASE, RETRY_CAP = 0.02, 0.5  # real seconds: the sandbox's schedule, sped up
FLOOD, SLOWLORIS = 200, 5
ABUSE_DEADLINE = 2.0  # seconds for headers and for a body while under abuse


def envelope(rid: str) -> bytes:
    """A callback the size of a real snapshot."""
    data = {
        "queryAsin": "B0BENCH001",
        "asin": "B0BENCH001",
        "itemName": "Acme Premium Kitchen Knife, Black, Size M",
        "brand": "Acme",
        "salesRank": 12345,
        "totalQty": 42,
        "buyboxPrice": "24.99",
        "currency": "USD",
        "buyboxSellerName": "Prime Deals Co",
        "parentAsin": "B0BENCHPAR",
        "domain": "www.amazon.com",
        "condition": "new",
        "productUrl": "https://www.amazon.com/dp/B0BENCH001",
    }
    body = {"status": "OK", "responsefor": "asinsnapshot", "rid": rid, "allowed": 99000}
    body.update(dailyAllowed=19000, messageId=None, message=None, data=data)
    body["dateProcessed"] = "2026-11-01T00:01:00Z"
    return json.dumps(body).encode()


class Connection:
    """A keep-alive HTTPS connection speaking just enough HTTP/1.1 for the load (http.client
    costs more CPU per request than the receiver does, on the same two cores)."""

    def __init__(self, port: int, context: ssl.SSLContext) -> None:
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
        self.buffer = b""

    def post(self, request: bytes) -> int:
        """Send one request; the response's status."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in lines[1:]
            if line.lower().startswith(b"content-length:")
        )
        while len(self.buffer) < length:
            self._fill()
        self.buffer = self.buffer[length:]
        return int(lines[0].split()[1])

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def request_bytes(rid: str) -> bytes:
    body = envelope(rid)
    head = (
        "POST /amzpecty/callback HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nAMZPECTY-API-SECRET-KEY: {SECRET}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def sender(port: int, cafile: str, process: int, threads: int, count: int) -> None:
    """One load process: `threads` connections; prints one JSON line of what it measured."""
    context = ssl.create_default_context(cafile=cafile)
    per_thread = [count // threads + (t < count % threads) for t in range(threads)]
    results: list[dict[str, Any]] = [{} for _ in range(threads)]

    def run(thread: int) -> None:
        connection: Connection | None = None
        latencies, retries, first, last = [], 0, None, 0.0
        for n in range(per_thread[thread]):
            request = request_bytes(f"{process:04x}{thread:04x}{n:016x}")
            attempt = 0
            while True:
                started = SYSTEM_CLOCK.monotonic()
                first = started if first is None else first
                try:
                    if connection is None:
                        connection = Connection(port, context)
                    ok = connection.post(request) == 200
                except (OSError, ValueError, StopIteration, IndexError):
                    ok = False
                    if connection is not None:
                        connection.close()
                    connection = None
                if ok:
                    last = SYSTEM_CLOCK.monotonic()
                    latencies.append(last - started)
                    break
                attempt += 1
                retries += 1
                SYSTEM_CLOCK.sleep(min(RETRY_CAP, RETRY_BASE * 2 ** min(attempt - 1, 10)))
        results[thread] = {"latencies": latencies, "retries": retries, "first": first, "last": last}

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(json.dumps(results), flush=True)


def start_receiver(
    tls: tuple[str, str, str], store: Path, port: int, *extra: str
) -> subprocess.Popen:
    command = [sys.executable, str(ROOT / "pipelines" / "receiver.py"), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--certfile", tls[0], "--keyfile", tls[1]]
    command += ["--store", str(store), *extra]
    env = {**os.environ, "SOURCES__AMZPECTY__SECRET_KEY": SECRET}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert process.stdout is not None
    if not process.stdout.readline().startswith("https://"):
        raise RuntimeError("the receiver did not start")
    return process


def load(port: int, cafile: str, processes: int, threads: int, total: int):
    """Start the senders; returns their processes (each prints its figures when done)."""
    share = [total // processes + (p < total % processes) for p in range(processes)]
    return [
        subprocess.Popen(
            [sys.executable, __file__, "--sender", str(port), cafile, str(p), str(threads), str(n)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for p, n in enumerate(share)
    ]


def collect(senders: list[subprocess.Popen]) -> list[dict[str, Any]]:
    figures = []
    for process in senders:
        out, _ = process.communicate(timeout=900)
        if process.returncode != 0:
            raise RuntimeError("a sender failed")
        figures += json.loads(out.strip().splitlines()[-1])
    return figures


def stored(store: Path) -> tuple[int, int]:
    """(rows, distinct rids) in the store."""
    with sqlite3.connect(store) as connection:
        return connection.execute("select count(*), count(distinct rid) from results").fetchone()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Abuse:
    """Clients that try to hold the receiver: a connection flood and slowloris drips."""

    def __init__(self, port: int, cafile: str) -> None:
        self.port, self.context = port, ssl.create_default_context(cafile=cafile)
        self.stop = threading.Event()
        self.admitted = 0
        self.answers: list[int] = []
        self.held: list[socket.socket] = []
        self.threads = [threading.Thread(target=self._drip) for _ in range(SLOWLORIS)]

    def _connect(self, source: str) -> ssl.SSLSocket:
        raw = socket.create_connection(("127.0.0.1", self.port), 10, (source, 0))
        return self.context.wrap_socket(raw, server_hostname="127.0.0.1")

    def _drip(self) -> None:
        """Send headers a byte a second, forever; note the status each attempt ends with."""
        head = b"POST /amzpecty/callback HTTP/1.1\r\nHost: 127.0.0.1\r\n" * 100
        while not self.stop.is_set():
            with self._connect("127.0.0.3") as sock:
                sock.settimeout(1.0)
                answer = b""
                for byte in head:
                    if self.stop.is_set():
                        return
                    sock.sendall(bytes([byte]))
                    try:
                        answer = sock.recv(4096)
                    except TimeoutError:
                        continue
                    break
                self.answers.append(int(answer.split()[1]) if answer else 0)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()
        for _ in range(FLOOD):
            flood = socket.socket()
            flood.bind(("127.0.0.2", 0))
            flood.connect(("127.0.0.1", self.port))
            self.held.append(flood)
        # refused ones are closed at accept; admitted ones wait for a first byte (2 s)
        open_ = set(self.held)
        until = SYSTEM_CLOCK.monotonic() + ABUSE_DEADLINE / 2
        while open_ and (left := until - SYSTEM_CLOCK.monotonic()) > 0:
            closed, _, _ = select.select(list(open_), [], [], left)
            open_ -= set(closed)
        self.admitted = len(open_)

    def end(self) -> dict[str, Any]:
        for flood in self.held:
            flood.close()
        self.stop.set()
        for thread in self.threads:
            thread.join()
        return {"flood_admitted": self.admitted, "slowloris_answers": sorted(set(self.answers))}


def throughput(
    tls, workdir: Path, args: argparse.Namespace, abused: bool = False
) -> dict[str, Any]:
    store, port = workdir / f"throughput-{abused}.sqlite", free_port()
    load_average = os.getloadavg()[0]
    # under abuse, 2 s deadlines: the slow clients are answered (and come back) within the load
    deadlines = ("--header-seconds", str(ABUSE_DEADLINE), "--body-seconds", str(ABUSE_DEADLINE))
    receiver = start_receiver(tls, store, port, *(deadlines if abused else ()))
    abuse = Abuse(port, tls[2])
    if abused:
        abuse.start()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        figures = collect(load(port, tls[2], args.processes, args.threads, args.callbacks))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        receiver_cpu = cpu_seconds(receiver.pid)
        abuse_figures = abuse.end() if abused else {}
    finally:
        receiver.kill()
        receiver.wait()
    sender_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    latencies = [v for f in figures for v in f["latencies"]]
    wall = max(f["last"] for f in figures) - min(f["first"] for f in figures)
    rows, distinct = stored(store)
    return {
        "senders": len(figures),
        "callbacks": len(latencies),
        "stored": distinct,
        "wall_s": wall,
        "per_s": len(latencies) / wall,
        "p50_ms": 1000 * percentile(latencies, 0.50),
        "p99_ms": 1000 * percentile(latencies, 0.99),
        "max_ms": 1000 * max(latencies),
        "retries": sum(f["retries"] for f in figures),
        "duplicates_stored": rows - distinct,
        "receiver_cpu_ms_per_callback": 1000 * receiver_cpu / len(latencies),
        "sender_cpu_ms_per_callback": 1000 * sender_cpu / len(latencies),
        # what two idle cores could carry, receiver and load generator together
        "cpu_bound_per_s_on_2_cores": 2 * len(latencies) / (receiver_cpu + sender_cpu),
        "load_average_before": load_average,
        **abuse_figures,
    }


def crash(tls, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """SIGKILL the receiver once a third of the callbacks are stored; restart it; count."""
    store, port = workdir / "crash.sqlite", free_port()
    receiver = start_receiver(tls, store, port)
    senders = load(port, tls[2], args.processes, args.threads, args.kill_callbacks)
    at_kill = 0
    while at_kill < args.kill_callbacks // 3:
        SYSTEM_CLOCK.sleep(0.02)
        at_kill = stored(store)[1]
    receiver.send_signal(signal.SIGKILL)
    receiver.wait()
    down_since = SYSTEM_CLOCK.monotonic()
    receiver = start_receiver(tls, store, port)
    restarted_after = SYSTEM_CLOCK.monotonic() - down_since
    try:
        figures = collect(senders)
    finally:
        receiver.kill()
        receiver.wait()
    rows, distinct = stored(store)
    with sqlite3.connect(store) as connection:
        present = {row[0] for row in connection.execute("select rid from results")}
    expected = {
        f"{p:04x}{t:04x}{n:016x}"
        for p, (processes) in enumerate(
            [
                args.kill_callbacks // args.processes + (i < args.kill_callbacks % args.processes)
                for i in range(args.processes)
            ]
        )
        for t, count in enumerate(
            [
                processes // args.threads + (i < processes % args.threads)
                for i in range(args.threads)
            ]
        )
        for n in range(count)
    }
    return {
        "callbacks": len(expected),
        "stored_at_kill": at_kill,
        "restart_s": restarted_after,
        "acknowledged": sum(len(f["latencies"]) for f in figures),
        "sender_retries": sum(f["retries"] for f in figures),
        "stored": distinct,
        "lost": len(expected - present),
        "unexpected": len(present - expected),
        "duplicate_rows": rows - distinct,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--callbacks", type=int, default=40_000)
    parser.add_argument("--kill-callbacks", type=int, default=20_000)
    parser.add_argument("--sender", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sender:
        port, cafile, process, threads, count = args.sender
        sender(int(port), cafile, int(process), int(threads), int(count))
        return
    from pipelines.receiver import trustme_certificate

    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        tls = trustme_certificate(workdir)
        fast = throughput(tls, workdir, args)
        print(
            f"throughput: {fast['callbacks']:,} callbacks from {fast['senders']} senders in "
            f"{fast['wall_s']:.1f} s = {fast['per_s']:,.0f} durable callbacks/s; latency p50 "
            f"{fast['p50_ms']:.1f} ms, p99 {fast['p99_ms']:.1f} ms, max {fast['max_ms']:.1f} ms; "
            f"stored {fast['stored']:,}"
        )
        print(
            f"  CPU per callback: receiver {fast['receiver_cpu_ms_per_callback']:.3f} ms, "
            f"senders {fast['sender_cpu_ms_per_callback']:.3f} ms; two idle cores carry "
            f"{fast['cpu_bound_per_s_on_2_cores']:,.0f}/s (load average before: "
            f"{fast['load_average_before']:.2f})"
        )
        abused = throughput(tls, workdir, args, abused=True)
        print(
            f"under abuse ({FLOOD} idle connections from one client, {SLOWLORIS} slowloris): "
            f"{abused['per_s']:,.0f} durable callbacks/s; latency p50 {abused['p50_ms']:.1f} "
            f"ms, p99 {abused['p99_ms']:.1f} ms; {abused['flood_admitted']} flood connections "
            f"admitted; slowloris answered {abused['slowloris_answers']}"
        )
        killed = crash(tls, workdir, args)
        print(
            f"crash: SIGKILL at {killed['stored_at_kill']:,} stored, restarted in "
            f"{killed['restart_s']:.2f} s; {killed['sender_retries']:,} sender retries; "
            f"stored {killed['stored']:,} of {killed['callbacks']:,}: lost {killed['lost']}, "
            f"duplicate rows {killed['duplicate_rows']}"
        )
    targets = {
        "per_s_ge_4500": fast["per_s"] >= 4500,
        "p99_le_20_ms": fast["p99_ms"] <= 20,
        "abused_per_s_ge_4500": abused["per_s"] >= 4500,
        "abused_p99_le_20_ms": abused["p99_ms"] <= 20,
        "zero_lost_after_sigkill": killed["lost"] == 0 and killed["duplicate_rows"] == 0,
    }
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in targets.items()))
    finish({"throughput": fast, "abused": abused, "crash": killed, "targets_met": targets})


if __name__ == "__main__":
    main()
