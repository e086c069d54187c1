import { createHash, randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'

// Keyed by the installed PGlite (pnpm's store path names its version), so an upgrade never loads an old image.
const installed = createHash('sha256')
  .update(import.meta.resolve('@electric-sql/pglite'))
  .digest('hex')
const imageFile = join(tmpdir(), `gatehouse-pglite-${installed.slice(0, 16)}.tar`)

let image: Promise<Blob> | undefined

/**
 * The files of a freshly initialised PGlite cluster. Every new embedded database (each test file's, each new
 * `.data/<service>`) starts from this image instead of running initdb: ~0.5 s instead of ~3 s on this
 * machine. Made once per PGlite version and kept in the temp folder, shared by every process.
 */
export function freshClusterImage(): Promise<Blob> {
  image ??= loadOrMake().catch((error) => {
    image = undefined
    throw error
  })
  return image
}

async function loadOrMake(): Promise<Blob> {
  try {
    return new Blob([await readFile(imageFile)])
  } catch {
    const pg = await PGlite.create()
    const made = await pg.dumpDataDir('none')
    await pg.close()
    // Written aside, then renamed: a process reading the image never sees half of it.
    const partial = `${imageFile}.${randomBytes(6).toString('hex')}`
    await writeFile(partial, Buffer.from(await made.arrayBuffer()))
    await rename(partial, imageFile)
    return made
  }
}
