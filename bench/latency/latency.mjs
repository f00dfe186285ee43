// Glass-to-glass latency of the local media pipeline (issue 12 point 4; figures in docs/benchmarks.md).
//
// For each latency setting (Media:Latency = default | low) it starts a private PostgreSQL, nginx-rtmp
// (scripts/nginx-rtmp.sh with that setting's segment length) and the built host (role all), then per run:
// schedules and starts a session through the API; ffmpeg publishes a picture whose pixels carry the encoder's wall
// clock (32 bits of milliseconds as black/white blocks, with their complement below as a check, written by the geq
// filter from RTCTIME as each frame enters the encoder); Debian's Chromium (headless, through playwright-core) plays
// the session's playbackUrl with hls.js configured from GET /media/player-config, and on every presented frame reads
// the blocks back through a canvas and subtracts them from Date.now(). Same machine, same clock.
//
//   node bench/latency/latency.mjs [--modes default,low] [--runs 3] [--seconds 30] [--pg-port 55460 | --postgres <admin connection string>]
// Prints one line per run and a JSON summary (median / p95 per setting over every sample of every run).
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
const modes = (args.modes ?? 'default,low').split(',');
const runs = Number(args.runs ?? 3);
const seconds = Number(args.seconds ?? 30);
const pgPort = Number(args['pg-port'] ?? 55460);
const hostDll = join(root, 'src', 'LiveStream.Host', 'bin', 'Release', 'net10.0', 'LiveStream.Host.dll');
const segmentSeconds = { default: 2, low: 1 };

// The clock picture: 16 columns x 20 px, rows of 40 px: bits 0-15, bits 16-31, then both again inverted.
const W = 320, H = 180, BLOCK_W = 20, BLOCK_H = 40;
const clockBase = Date.now() - 60_000;
const geq = `st(0,floor(X/${BLOCK_W}));st(1,floor(Y/${BLOCK_H}));`
  + `st(2,mod(floor((T*1000-${clockBase})/pow(2,ld(0)+16*mod(ld(1),2))),2));`
  + 'if(gte(ld(1),4),128,255*if(lt(ld(1),2),ld(2),1-ld(2)))';

const freePort = () => new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(base, method, path, body, token) {
  const response = await fetch(base + path, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function waitFor(what, timeoutMs, check) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function publish(ingest, segment) {
  return spawn('ffmpeg', [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', `color=c=gray:s=${W}x${H}:r=30`,
    '-vf', `settb=1/1000,setpts=RTCTIME/(1000000*TB),geq=lum='${geq}':cb=128:cr=128,setpts=PTS-STARTPTS`,
    // A keyframe every segment: nginx-rtmp cuts segments only at keyframes (OBS: keyframe interval = segment length).
    '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-b:v', '800k',
    '-force_key_frames', `expr:gte(t,n_forced*${segment})`,
    '-f', 'flv', `${ingest.url}/${ingest.streamKey}`,
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
}

// Runs in the page: plays the stream and collects latency samples from every presented frame.
function pageScript({ url, hlsConfig, base, width, height, blockW, blockH }) {
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  document.body.append(video);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  window.samples = [];
  window.errors = [];
  const hls = new window.Hls(hlsConfig);
  window.hls = hls;
  hls.on(window.Hls.Events.ERROR, (_, data) => { if (data.fatal) window.errors.push(`${data.type}: ${data.details}`); });
  hls.loadSource(url);
  hls.attachMedia(video);
  video.play().catch((error) => window.errors.push(String(error)));
  const read = () => {
    context.drawImage(video, 0, 0, width, height);
    const pixels = context.getImageData(0, 0, width, height).data;
    const luma = (x, y) => pixels[(y * width + x) * 4];
    let value = 0;
    for (let bit = 0; bit < 32; bit++) {
      const x = (bit % 16) * blockW + blockW / 2;
      const y = Math.floor(bit / 16) * blockH + blockH / 2;
      const on = luma(x, y) > 128;
      if (on === luma(x, y + 2 * blockH) > 128) return; // a blurred or half-decoded frame: no reading
      if (on) value += 2 ** bit;
    }
    window.samples.push(Date.now() - (base + value));
  };
  const onFrame = () => { if (video.currentTime > 0) read(); video.requestVideoFrameCallback(onFrame); };
  video.requestVideoFrameCallback(onFrame);
}

function percentile(sorted, p) { return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]; }

async function measureMode(mode, browser, pgConnection, pgAddress) {
  const work = join(root, '.local', 'bench-latency', mode);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const [httpPort, rtmpPort, controlPort, siloPort, gatewayPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const base = `http://127.0.0.1:${httpPort}`;
  const secret = randomBytes(16).toString('hex');
  const nginxDir = join(work, 'nginx');
  execFileSync(join(root, 'scripts', 'nginx-rtmp.sh'), ['start', nginxDir, String(rtmpPort), `${base}/internal/media/${secret}`, String(controlPort)],
    { env: { ...process.env, LIVESTREAM_HLS_SEGMENT_SECONDS: String(segmentSeconds[mode]) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const database = `latency_${mode}_${Date.now()}`;
  execFileSync('psql', [`host=${pgAddress.Host} port=${pgAddress.Port} user=${pgAddress.Username} dbname=postgres`, '-qc', `CREATE DATABASE ${database}`]);
  const host = spawn('dotnet', [hostDll, '--urls', base], {
    stdio: 'ignore',
    env: {
      ...process.env,
      ASPNETCORE_ENVIRONMENT: 'Development', LiveStream__Role: 'all',
      ConnectionStrings__Postgres: pgConnection.replace('Database=postgres', `Database=${database}`),
      Auth__DevTokens__SigningKey: randomBytes(48).toString('base64'),
      Orleans__ClusterId: `latency-${mode}`, Orleans__SiloPort: String(siloPort), Orleans__GatewayPort: String(gatewayPort),
      Media__Latency: mode,
      Media__Local__Directory: join(nginxDir, 'media'),
      Media__Local__IngestUrl: `rtmp://127.0.0.1:${rtmpPort}/live`,
      Media__Local__ControlUrl: `http://127.0.0.1:${controlPort}/control`,
      Media__Local__PublicBaseUrl: base, Media__Local__CallbackSecret: secret,
      Logging__LogLevel__Default: 'Warning',
    },
  });
  const results = [];
  let playerConfig;
  try {
    await waitFor('the host to be ready', 120_000, async () => (await fetch(`${base}/health/ready`)).ok);
    playerConfig = await call(base, 'GET', '/media/player-config');
    const token = (await call(base, 'POST', '/auth/dev-token', { userId: 'latency-mentor', role: 'mentor' })).token;
    await call(base, 'PUT', '/mentor/latency-mentor', { displayName: 'Latency' }, token);
    await call(base, 'PUT', '/mentor/latency-mentor/courses/clock', { title: 'Clock' }, token);
    const hlsJs = readFileSync(join(here, 'node_modules', 'hls.js', 'dist', 'hls.min.js'), 'utf8');
    for (let run = 1; run <= runs; run++) {
      const session = await call(base, 'POST', '/livestream/', {
        mentorId: 'latency-mentor', courseId: 'clock', title: `Clock ${run}`, scheduledStart: new Date(Date.now() + 3_600_000).toISOString(),
      }, token);
      const ingest = await call(base, 'GET', `/livestream/${session.liveId}/ingest`, undefined, token);
      await call(base, 'POST', `/livestream/${session.liveId}/start`, undefined, token);
      const publisher = publish(ingest, segmentSeconds[mode]);
      try {
        const detail = await waitFor('the session to be live', 60_000, async () => {
          const d = await call(base, 'GET', `/mentor/latency-mentor/live/${session.liveId}`, undefined, token);
          return d.state === 'live' && d.playbackUrl ? d : null;
        });
        // The player opens once the playlist lists a segment (issue 12 point 3 makes "live" mean that by itself).
        await waitFor('a playable playlist', 60_000, async () => /#EXTINF/.test(await (await fetch(detail.playbackUrl)).text()));

        // The page is served from the host's origin (intercepted), so the media requests are same-origin.
        const page = await browser.newPage();
        await page.route(`${base}/__bench/**`, (route) => route.fulfill({
          contentType: route.request().url().endsWith('.js') ? 'text/javascript' : 'text/html',
          body: route.request().url().endsWith('.js') ? hlsJs : '<!doctype html><html><body><script src="hls.min.js"></script></body></html>',
        }));
        await page.goto(`${base}/__bench/index.html`);
        await page.evaluate(pageScript, { url: detail.playbackUrl, hlsConfig: playerConfig.hls, base: clockBase, width: W, height: H, blockW: BLOCK_W, blockH: BLOCK_H });
        await page.waitForFunction(() => window.samples.length > 0 || window.errors.length > 0, undefined, { timeout: 60_000 });
        // Let the player settle on its live sync position, then keep what it shows for the measured window.
        await sleep(5_000);
        await page.evaluate(() => { window.samples = []; });
        await sleep(seconds * 1000);
        const { samples, errors, playerLatency, targetLatency } = await page.evaluate(() => ({
          samples: window.samples, errors: window.errors, playerLatency: window.hls.latency, targetLatency: window.hls.targetLatency,
        }));
        const playlist = await (await fetch(detail.playbackUrl)).text();
        const segments = [...playlist.matchAll(/#EXTINF:([\d.]+)/g)].map((match) => Number(match[1]));
        await page.close();
        const sorted = [...samples].sort((a, b) => a - b);
        // hls.js's own estimate (seconds behind the playlist's live edge) and the segments listed, for the analysis.
        const result = {
          mode, run, samples: sorted.length, medianMs: percentile(sorted, 0.5), p95Ms: percentile(sorted, 0.95), errors,
          hlsLatencyS: Number(playerLatency?.toFixed(2)), hlsTargetLatencyS: targetLatency, segmentsS: segments,
        };
        console.log(JSON.stringify(result));
        results.push({ ...result, all: sorted });
      } finally {
        publisher.kill('SIGINT');
        await call(base, 'POST', `/livestream/${session.liveId}/stop`, undefined, token).catch(() => {});
      }
    }
  } finally {
    host.kill('SIGKILL');
    execFileSync(join(root, 'scripts', 'nginx-rtmp.sh'), ['stop', nginxDir]);
  }

  const all = results.flatMap((result) => result.all).sort((a, b) => a - b);
  return {
    mode, segmentSeconds: segmentSeconds[mode], hls: playerConfig.hls, runs: results.length, samples: all.length,
    medianMs: percentile(all, 0.5), p95Ms: percentile(all, 0.95),
    runMediansMs: results.map((result) => result.medianMs), errors: results.flatMap((result) => result.errors),
  };
}

const pgDir = join(root, '.local', 'bench-latency', 'pg');
const pgConnection = args.postgres ?? execFileSync(join(root, 'scripts', 'postgres.sh'), ['start', pgDir, String(pgPort)], { encoding: 'utf8' }).trim();
const pgAddress = Object.fromEntries(pgConnection.split(';').map((pair) => pair.split('=')));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
});
try {
  const summary = [];
  for (const mode of modes) {
    summary.push(await measureMode(mode, browser, pgConnection, pgAddress));
  }
  console.log(JSON.stringify({ hlsJs: '1.7.4', cpus: (await import('node:os')).cpus().length, loadAverage: (await import('node:os')).loadavg(), summary }, null, 2));
} finally {
  await browser.close();
  if (!args.postgres) execFileSync(join(root, 'scripts', 'postgres.sh'), ['stop', pgDir]);
}
