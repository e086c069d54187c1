/**
 * `pnpm start` runs each service from one bundled file instead of through tsx. Five processes loading a few
 * thousand TypeScript modules through tsx's loader thread on two cores took most of the start time (measured:
 * auth-api alone 2.7 s through tsx, 1.9 s bundled; the whole platform on an existing data folder 12 s -> see the
 * root README). The bundle holds this repository's code (the service and packages/*, compiled from TypeScript); every
 * npm dependency stays a separate module, imported by the absolute path esbuild resolved for the importing
 * package, so native modules, WASM files and pnpm's strict layout work as they do unbundled.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { build, type Plugin } from 'esbuild'

const SKIP = { fromPlugin: true }

// Bare specifiers (not relative, not node:, not workspace packages) become externals with an absolute path.
const dependenciesAsExternals: Plugin = {
  name: 'dependencies-as-externals',
  setup(bundler) {
    const resolveFrom = async (specifier: string, resolveDir: string) => {
      const found = await bundler.resolve(specifier, {
        kind: 'import-statement',
        resolveDir,
        pluginData: SKIP,
      })
      if (found.errors.length > 0) throw new Error(`cannot resolve ${specifier} from ${resolveDir}`)
      return found.path
    }
    bundler.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === SKIP || args.path.startsWith('node:') || args.path.startsWith('@gatehouse/')) {
        return undefined
      }
      const found = await bundler.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: SKIP,
      })
      if (found.errors.length > 0) return { errors: found.errors }
      return { path: found.path, external: true }
    })
    // `import.meta.resolve('<package>')` would resolve from the bundle's folder: resolve it at build time instead.
    bundler.onLoad({ filter: /\/packages\/.*\.ts$/ }, async (args) => {
      let source = await readFile(args.path, 'utf8')
      const calls = [...source.matchAll(/import\.meta\.resolve\('([^']+)'\)/g)]
      if (calls.length === 0) return undefined
      for (const [call, specifier] of calls) {
        const path = await resolveFrom(specifier as string, dirname(args.path))
        source = source.replace(call, JSON.stringify(`file://${path}`))
      }
      return { contents: source, loader: 'ts' }
    })
  },
}

/**
 * Bundles every service's src/server.ts to services/<name>/.build/server.mjs; returns those paths by name.
 * Skipped when no file that went into the last bundles changed since (the list is kept next to them).
 */
export async function bundleServices(root: string, names: readonly string[]): Promise<Map<string, string>> {
  const outputs = new Map(names.map((name) => [name, join(root, 'services', name, '.build', 'server.mjs')]))
  const inputsFile = join(root, 'node_modules', '.cache', 'gatehouse-bundles.json')
  if (await upToDate(inputsFile, [...outputs.values()])) return outputs
  const result = await build({
    // Under the service's folder, one level down like src/: `new URL('../migrations', import.meta.url)` holds.
    entryPoints: names.map((name) => ({
      in: join(root, 'services', name, 'src', 'server.ts'),
      out: join('services', name, '.build', 'server'),
    })),
    absWorkingDir: root,
    outdir: root,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    // Resolve the way Node does (no "module" condition or field), so a dependency the bundle imports is the same
    // module instance as the one another dependency imports.
    conditions: ['node'],
    mainFields: ['main'],
    plugins: [dependenciesAsExternals],
    logLevel: 'error',
    metafile: true,
    write: false,
  })
  // Several `pnpm start`s may bundle at once (the cross-process tests do): each file is written aside and renamed,
  // so a process never starts from half a bundle.
  await Promise.all(result.outputFiles.map((file) => writeAtomically(file.path, file.contents)))
  // The lockfile too: the bundles name each dependency by its path in pnpm's store, which an install changes.
  const inputs = [
    ...Object.keys(result.metafile.inputs).map((input) => join(root, input)),
    join(root, 'pnpm-lock.yaml'),
    import.meta.filename,
  ]
  await writeAtomically(inputsFile, JSON.stringify({ outputs: [...outputs.values()], inputs }))
  return outputs
}

async function writeAtomically(path: string, contents: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const aside = `${path}.${randomBytes(6).toString('hex')}`
  await writeFile(aside, contents)
  await rename(aside, path)
}

async function upToDate(inputsFile: string, outputs: string[]): Promise<boolean> {
  try {
    const last = JSON.parse(await readFile(inputsFile, 'utf8')) as { outputs: string[]; inputs: string[] }
    if (last.outputs.join() !== outputs.join()) return false
    const built = Math.min(...(await Promise.all(outputs.map(async (file) => (await stat(file)).mtimeMs))))
    const changed = await Promise.all(last.inputs.map(async (file) => (await stat(file)).mtimeMs > built))
    return !changed.includes(true)
  } catch {
    return false
  }
}
