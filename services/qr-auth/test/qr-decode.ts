import jsqr from 'jsqr'
import { PNG } from 'pngjs'

/** What a real QR decoder (jsQR) reads from a PNG. */
export function decodeQrPng(png: Buffer): string {
  const image = PNG.sync.read(png)
  const found = jsQR(new Uint8ClampedArray(image.data), image.width, image.height)
  if (!found) throw new Error('no QR code in the image')
  return found.data
}

// jsqr is CommonJS with a `default` property: the one spelling both Node and TypeScript resolve to the function.
const jsQR = jsqr.default

const PIXELS_PER_MODULE = 8

/**
 * What jsQR reads from qrcode's SVG: its dark modules are horizontal strokes (`M x y.5 h n`, `m dx dy`) of
 * one path, drawn here into a bitmap.
 */
export function decodeQrSvg(svg: string): string {
  const size = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1])
  const path = /<path stroke="#000000" d="([^"]+)"/.exec(svg)?.[1]
  if (!size || !path) throw new Error('not a qrcode SVG')
  const dark = new Set<string>()
  let x = 0
  let y = 0
  for (const [, command, args] of path.matchAll(/([MmHhVv])([^MmHhVv]*)/g)) {
    const numbers = (args ?? '')
      .trim()
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number)
    if (command === 'M') [x, y] = [numbers[0] ?? 0, numbers[1] ?? 0]
    if (command === 'm') [x, y] = [x + (numbers[0] ?? 0), y + (numbers[1] ?? 0)]
    if (command === 'h') {
      for (let i = 0; i < (numbers[0] ?? 0); i++) dark.add(`${x + i},${Math.floor(y)}`)
      x += numbers[0] ?? 0
    }
  }
  const width = size * PIXELS_PER_MODULE
  const pixels = new Uint8ClampedArray(width * width * 4).fill(255)
  for (let py = 0; py < width; py++) {
    for (let px = 0; px < width; px++) {
      if (!dark.has(`${Math.floor(px / PIXELS_PER_MODULE)},${Math.floor(py / PIXELS_PER_MODULE)}`)) continue
      pixels.fill(0, (py * width + px) * 4, (py * width + px) * 4 + 3)
    }
  }
  const found = jsQR(pixels, width, width)
  if (!found) throw new Error('no QR code in the SVG')
  return found.data
}
