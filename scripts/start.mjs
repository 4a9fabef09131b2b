#!/usr/bin/env node
// `npm start`: the quick start on one machine. Two demo backends on loopback (the ports of
// examples/spec.example.json), the Envoy launcher, and the agent on examples/agent.local.yaml, which reaches the
// pinned Envoy through the link .run/envoy. Ctrl-C stops everything this started (agent, launcher and so Envoy,
// backends). Without an Envoy, the link is removed and the agent runs render-only, which it says.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ensureEnvoy, EnvoyUnavailable } from './ensure-envoy.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// VPSIE_LB_START_ROOT: a folder with its own examples/ (and .run/), so the quick-start test runs a copy.
const root = process.env.VPSIE_LB_START_ROOT ?? repo;
const run = join(root, '.run');
const config = join(root, 'examples/agent.local.yaml');
const socket = join(run, 'launcher.sock');
const cli = join(repo, 'dist/cli.js');
const say = (line) => process.stderr.write(`npm start: ${line}\n`);

mkdirSync(run, { recursive: true });
const link = join(run, 'envoy');
rmSync(link, { force: true });
let envoy;
try {
  envoy = ensureEnvoy();
  symlinkSync(envoy, link);
} catch (e) {
  if (!(e instanceof EnvoyUnavailable)) throw e;
  say(`no Envoy here, so render-only (configs are written to .run/envoy, nothing serves): ${e.message}`);
}

// The demo backends are whatever loopback backends the example spec names when it starts.
const spec = JSON.parse(readFileSync(join(root, 'examples/spec.example.json'), 'utf8'));
const servers = [];
for (const b of spec.backends ?? []) {
  if (b.address !== '127.0.0.1') continue;
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(req.url === '/healthz' ? 'ok\n' : `hello from ${b.id} (127.0.0.1:${b.port})\n`);
  });
  await new Promise((ok, fail) => server.once('error', fail).listen(b.port, '127.0.0.1', ok)).catch((e) => {
    say(`demo backend ${b.id} cannot listen on 127.0.0.1:${b.port}: ${e.message}`);
    process.exit(1);
  });
  servers.push(server);
}
if (servers.length > 0)
  say(`demo backends on ${servers.map((s) => `127.0.0.1:${s.address().port}`).join(', ')}`);

const children = [];
const start = (name, args) => {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  child.name = name;
  children.push(child);
  return child;
};

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  // Agent first (Envoy keeps serving while it exits), then the launcher, which stops Envoy.
  for (const child of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGTERM');
    await Promise.race([new Promise((ok) => child.once('exit', ok)), sleep(35_000)]);
  }
  for (const s of servers) s.close();
  rmSync(link, { force: true });
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

if (envoy !== undefined) {
  rmSync(socket, { force: true });
  start('launcher', ['launcher', '--socket', socket, '--config', config]);
  for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(100);
  if (!existsSync(socket)) {
    say('the launcher did not open its socket in 10 s');
    await stop(1);
  }
  say(`Envoy ${envoy}; try: curl -s localhost:${spec.port}/   (agent: curl -s localhost:9902/status)`);
}
const agent = start('agent', ['run', '--config', config]);
for (const child of children) {
  child.once('exit', (code, signal) => {
    if (stopping) return;
    say(`${child.name} exited (${signal ?? code}); stopping the rest`);
    void stop(child === agent && code === 0 ? 0 : 1);
  });
}
