import jsqr from 'jsqr'
import { PNG } from 'pngjs'

/** The text a real QR decoder (jsQR) reads from a `data:image/png;base64,...` image. */
export function qrCodeText(dataUrl: string): string {
  const base64 = dataUrl.replace(/^data:image\/png;base64,/, '')
  const { data, width, height } = PNG.sync.read(Buffer.from(base64, 'base64'))
  // jsqr is CommonJS with a `default` property, the one spelling Node and TypeScript both resolve.
  const read = jsqr.default(Uint8ClampedArray.from(data), width, height)
  if (!read) throw new Error('no QR code in the image')
  return read.data
}
