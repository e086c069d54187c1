import { fork } from 'node:child_process'
import autocannon from 'autocannon'
const start = (file: string, args: string[]) => {
  const child = fork(file, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise<{ child: any; info: any }>((resolve) => child.once('message', (info) => resolve({ child, info })))
}
const up = await start('bench/upstream.ts', [])
const upUrl = `http://127.0.0.1:${up.info.port}`
for (const [file, arg] of [['bench/zz-plain.ts', 'http'], ['bench/zz-plain.ts', 'undici'], ['bench/gateway.ts', '']]) {
  const gw = await start(file!, [upUrl, arg!])
  const url = `http://127.0.0.1:${gw.info.port}/api/tasks`
  const headers = { authorization: `Bearer ${gw.info.key}` }
  await autocannon({ url, headers, connections: 50, duration: 2 })
  const r = await autocannon({ url, headers, connections: 50, duration: 5 })
  console.log(file, arg, 'rps', Math.round(r.requests.average), 'p50', r.latency.p50, 'p99', r.latency.p99, 'non2xx', r.non2xx)
  gw.child.disconnect()
}
const r = await autocannon({ url: `${upUrl}/api/tasks`, connections: 50, duration: 5 })
console.log('direct rps', Math.round(r.requests.average), 'p50', r.latency.p50, 'p99', r.latency.p99)
up.child.disconnect()
process.exit(0)
