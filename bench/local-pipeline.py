#!/usr/bin/env python3
"""Measures the local media pipeline end to end (docs/benchmarks.md).

Starts a private PostgreSQL (scripts/postgres.sh), nginx-rtmp (scripts/nginx-rtmp.sh) and the built LiveStream host
(role all), schedules and starts a session through the API, publishes an ffmpeg test stream (640x360 30 fps H.264 +
AAC, 2 s GOP, real time) and reports:
  * connect -> first playable segment: from starting the publisher until the playlist served by the API lists a
    segment that the API serves with 200;
  * live-edge latency: wall time since the publisher started minus the media time at the end of the newest listed
    segment, sampled every 100 ms while publishing (what a player at the live edge would lag at best);
  * CPU per live session: CPU seconds used by nginx (master + workers) and by the host process while one session
    is live, divided by the wall time, i.e. cores busy.
Usage: bench/local-pipeline.py [--seconds 30] [--configuration Release] [--pg-port 55460]
"""
import argparse, json, os, re, secrets, shutil, socket, subprocess, sys, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
        return json.loads(text) if text else None


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except Exception:
        return None, b""


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / TICKS


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--configuration", default="Release")
    parser.add_argument("--pg-port", type=int, default=55460)
    args = parser.parse_args()

    host_dll = os.path.join(ROOT, "src", "LiveStream.Host", "bin", args.configuration, "net10.0", "LiveStream.Host.dll")
    if not os.path.exists(host_dll):
        sys.exit(f"build first: dotnet build -c {args.configuration} ({host_dll} is missing)")

    work = os.path.join(ROOT, ".local", "bench")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    pg_dir = os.path.join(work, "pg")
    nginx_dir = os.path.join(work, "nginx")
    host = None
    try:
        connection = subprocess.run([os.path.join(ROOT, "scripts", "postgres.sh"), "start", pg_dir, str(args.pg_port)],
                                    check=True, capture_output=True, text=True).stdout.strip()
        http_port, rtmp_port, control_port = free_port(), free_port(), free_port()
        secret = secrets.token_hex(16)
        base = f"http://127.0.0.1:{http_port}"
        subprocess.run([os.path.join(ROOT, "scripts", "nginx-rtmp.sh"), "start", nginx_dir, str(rtmp_port),
                        f"{base}/internal/media/{secret}", str(control_port)], check=True, capture_output=True)
        nginx_master = int(open(os.path.join(nginx_dir, "nginx.pid")).read())
        env = dict(os.environ,
                   ASPNETCORE_ENVIRONMENT="Development", LiveStream__Role="all",
                   ConnectionStrings__Postgres=connection,
                   Auth__DevTokens__SigningKey=secrets.token_urlsafe(48),
                   Orleans__ClusterId="bench", Orleans__SiloPort=str(free_port()), Orleans__GatewayPort=str(free_port()),
                   Media__Local__Directory=os.path.join(nginx_dir, "media"),
                   Media__Local__IngestUrl=f"rtmp://127.0.0.1:{rtmp_port}/live",
                   Media__Local__ControlUrl=f"http://127.0.0.1:{control_port}/control",
                   Media__Local__PublicBaseUrl=base, Media__Local__CallbackSecret=secret,
                   Logging__LogLevel__Default="Warning")
        host = subprocess.Popen(["dotnet", host_dll, "--urls", base], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 90
        while get(base + "/health/ready")[0] != 200:
            if time.time() > deadline or host.poll() is not None:
                sys.exit("host did not become ready")
            time.sleep(0.25)

        token = call(base, "POST", "/auth/dev-token", {"userId": "bench-mentor", "role": "mentor"})["token"]
        call(base, "PUT", "/mentor/bench-mentor", {"displayName": "Bench"}, token)
        call(base, "PUT", "/mentor/bench-mentor/courses/bench", {"title": "Bench"}, token)
        scheduled = call(base, "POST", "/livestream/", {"mentorId": "bench-mentor", "courseId": "bench", "title": "Bench",
                                                         "scheduledStart": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))}, token)
        live_id = scheduled["liveId"]
        ingest = call(base, "GET", f"/livestream/{live_id}/ingest", token=token)
        call(base, "POST", f"/livestream/{live_id}/start", token=token)
        playlist_url = f"{base}/media/{live_id}/live/index.m3u8"

        pids = lambda: [nginx_master] + children(nginx_master)
        cpu_nginx_0, cpu_host_0 = cpu_seconds(pids()), cpu_seconds([host.pid])
        t0 = time.monotonic()
        publisher = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-re",
             "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30", "-f", "lavfi", "-i", "sine=frequency=440",
             "-t", str(args.seconds), "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "60",
             "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "flv", f"{ingest['url']}/{ingest['streamKey']}"])
        first_playable = None
        durations = {}
        latencies = []
        while publisher.poll() is None:
            status, body = get(playlist_url)
            now = time.monotonic() - t0
            if status == 200:
                text = body.decode()
                sequence = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text).group(1))
                entries = re.findall(r"#EXTINF:([\d.]+),\s*\n(\S+)", text)
                for offset, (duration, _) in enumerate(entries):
                    durations[sequence + offset] = float(duration)
                if entries and first_playable is None and get(f"{base}/media/{live_id}/live/{entries[0][1]}")[0] == 200:
                    first_playable = now
                if entries and first_playable is not None:
                    edge = sum(d for s, d in durations.items() if s <= sequence + len(entries) - 1)
                    latencies.append(now - edge)
            time.sleep(0.1)
        wall = time.monotonic() - t0
        cpu_nginx = cpu_seconds(pids()) - cpu_nginx_0
        cpu_host = cpu_seconds([host.pid]) - cpu_host_0
        segment = max(durations.values()) if durations else float("nan")

        stop_at = time.monotonic()
        call(base, "POST", f"/livestream/{live_id}/stop", token=token)
        detail = None
        while time.monotonic() - stop_at < 60:
            detail = call(base, "GET", f"/mentor/bench-mentor/live/{live_id}", token=token)
            if detail["state"] == "recorded":
                break
            time.sleep(0.2)
        recorded_after = time.monotonic() - stop_at
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", detail["recordingUrl"]],
                               capture_output=True, text=True).stdout.strip()

        latencies.sort()
        print(json.dumps({
            "publishedSeconds": args.seconds,
            "connectToFirstPlayableSegmentSeconds": round(first_playable, 2) if first_playable else None,
            "segmentDurationSeconds": segment,
            "liveEdgeLatencySeconds": {
                "median": round(latencies[len(latencies) // 2], 2),
                "p95": round(latencies[int(len(latencies) * 0.95)], 2),
                "max": round(latencies[-1], 2),
                "samples": len(latencies),
            },
            "cpuCoresWhileLive": {"nginx": round(cpu_nginx / wall, 3), "host": round(cpu_host / wall, 3)},
            "stopToRecordedSeconds": round(recorded_after, 2),
            "recordingDurationSeconds": float(probe) if probe else None,
            "cpuCount": os.cpu_count(),
        }, indent=2))
    finally:
        if host is not None:
            host.kill()
            host.wait()
        subprocess.run([os.path.join(ROOT, "scripts", "nginx-rtmp.sh"), "stop", nginx_dir])
        subprocess.run([os.path.join(ROOT, "scripts", "postgres.sh"), "stop", pg_dir])


if __name__ == "__main__":
    main()
