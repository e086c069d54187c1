import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'

export interface ReceivedWebhook {
  headers: Record<string, string>
  body: string
}

/**
 * A real HTTP receiver on loopback for webhook tests. It answers with the queued statuses in turn (200 once they
 * run out) and checks signatures with the standardwebhooks package, as a customer's endpoint would.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = []
  private statuses: number[] = []
  private waiters: Array<{ count: number; resolve: () => void }> = []
  private hang = false

  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    const receiver: WebhookReceiver = new WebhookReceiver(
      createServer((request, response) => void receiver.handle(request, response)),
    )
    receiver.server.listen(0, '127.0.0.1')
    await once(receiver.server, 'listening')
    return receiver
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`
  }

  /** The next answers, e.g. [500, 500] then 200s. */
  answerWith(...statuses: number[]): void {
    this.statuses.push(...statuses)
  }

  /** Read requests but never answer (for the timeout). */
  neverAnswer(): void {
    this.hang = true
  }

  /** Resolves once `count` requests have arrived in total. */
  waitFor(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ count, resolve }))
  }

  /** The payload when the signature is valid for `secret`; throws otherwise. */
  static verify(secret: string, webhook: ReceivedWebhook): unknown {
    return new Webhook(secret).verify(webhook.body, webhook.headers)
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    this.server.close()
    await once(this.server, 'close')
  }

  private async handle(request: IncomingMessage, response: import('node:http').ServerResponse) {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [
        name,
        Array.isArray(value) ? value.join(',') : (value ?? ''),
      ]),
    )
    this.received.push({ headers, body: Buffer.concat(chunks).toString('utf8') })
    for (const waiter of this.waiters.filter((w) => this.received.length >= w.count)) waiter.resolve()
    this.waiters = this.waiters.filter((w) => this.received.length < w.count)
    if (this.hang) return
    response.writeHead(this.statuses.shift() ?? 200, { 'content-type': 'text/plain' })
    response.end('ok')
  }
}
