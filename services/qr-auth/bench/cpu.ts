/**
 * CPU time spent by each process of the bench during a phase, from /proc (Linux; elsewhere nothing is measured):
 * the bench itself, the two servers, the PostgreSQL backends serving their databases, and the whole machine's busy
 * time. Tells whether a phase was bound by the 2 CPUs everyone shares rather than by waiting.
 */
import { readFileSync } from 'node:fs'

// /proc reports CPU in USER_HZ ticks, 100 per second on every Linux ABI.
const MS_PER_TICK = 10

export interface CpuSample {
  /** ms of CPU per process group. */
  ms: Record<string, number>
  /** Busy ms of all CPUs together, and the ms the CPUs had in all (wall time x CPUs). */
  machineBusyMs: number
  machineTotalMs: number
}

function ticksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after "pid (comm) ": state is the 1st, utime the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return undefined
  }
}

function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
    const values = line.trim().split(/\s+/).slice(1, 9).map(Number)
    const total = values.reduce((sum, value) => sum + value, 0)
    // idle and iowait are the 4th and 5th.
    return { busy: total - (values[3] ?? 0) - (values[4] ?? 0), total }
  } catch {
    return undefined
  }
}

/**
 * `pids()` names the processes to watch now (asked again at the end of the phase, so a backend that connects
 * during it is counted too). Returns undefined where /proc cannot be read.
 */
export async function cpuDuring<T>(
  pids: () => Promise<Record<string, number[]>>,
  fn: () => Promise<T>,
): Promise<{ result: T; cpu: CpuSample | undefined }> {
  const readAll = (groups: Record<string, number[]>) =>
    new Map(Object.values(groups).flatMap((list) => list.map((pid) => [pid, ticksOf(pid)] as const)))
  const groupsBefore = await pids()
  const before = readAll(groupsBefore)
  const benchBefore = process.cpuUsage()
  const machineBefore = machineTicks()
  const result = await fn()
  const machineAfter = machineTicks()
  const bench = process.cpuUsage(benchBefore)
  const groupsAfter = await pids()
  const after = readAll(groupsAfter)
  if (!machineBefore || !machineAfter || [...after.values()].every((ticks) => ticks === undefined)) {
    return { result, cpu: undefined }
  }
  const ms: Record<string, number> = { bench: (bench.user + bench.system) / 1000 }
  for (const [group, list] of Object.entries(groupsAfter)) {
    ms[group] = list.reduce((sum, pid) => {
      const end = after.get(pid)
      return end === undefined ? sum : sum + (end - (before.get(pid) ?? 0)) * MS_PER_TICK
    }, 0)
  }
  return {
    result,
    cpu: {
      ms,
      machineBusyMs: (machineAfter.busy - machineBefore.busy) * MS_PER_TICK,
      machineTotalMs: (machineAfter.total - machineBefore.total) * MS_PER_TICK,
    },
  }
}

/** The sum of several phases' samples (undefined if any is). */
export function addCpu(samples: Array<CpuSample | undefined>): CpuSample | undefined {
  if (samples.length === 0 || samples.some((sample) => sample === undefined)) return undefined
  const sum: CpuSample = { ms: {}, machineBusyMs: 0, machineTotalMs: 0 }
  for (const sample of samples as CpuSample[]) {
    for (const [group, value] of Object.entries(sample.ms)) sum.ms[group] = (sum.ms[group] ?? 0) + value
    sum.machineBusyMs += sample.machineBusyMs
    sum.machineTotalMs += sample.machineTotalMs
  }
  return sum
}
