import { spawn } from 'node:child_process'
const withIpc = process.argv[2] === 'ipc'
const started = performance.now()
const child = spawn(process.execPath, ['--import', 'tsx', 'services/metering/src/server.ts'], {
  env: { ...process.env, DATA_DIR: '/tmp/gh-ipc/metering', PORT: '26004', LOG_LEVEL: 'warn' },
  stdio: withIpc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
})
child.stderr.on('data', (d) => process.stderr.write(d))
for (;;) {
  try { const r = await fetch('http://127.0.0.1:26004/health'); if (r.ok) break } catch {}
  await new Promise((r) => setTimeout(r, 50))
}
console.log(withIpc ? 'ipc' : 'no ipc', Math.round(performance.now() - started), 'ms')
child.kill('SIGINT')
