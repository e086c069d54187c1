/** One block of a text/event-stream: an event (with its data parsed as JSON) or a comment line. */
export interface StreamBlock {
  event?: string
  data?: { id: string; status: string; expiresAt: string }
  comment?: string
  retry?: number
}

export interface EventStream {
  response: Response
  /** The next block, or null when the server ended the stream. */
  next(): Promise<StreamBlock | null>
  /** The next block that is an event (comments skipped). */
  nextEvent(): Promise<StreamBlock | null>
  close(): Promise<void>
}

/** A server-sent events client on fetch, reading blocks as they arrive. */
export async function openEventStream(
  url: string,
  headers: Record<string, string> = {},
): Promise<EventStream> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } })
  if (!response.body) throw new Error(`no body: ${response.status}`)
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  const next = async (): Promise<StreamBlock | null> => {
    while (!buffer.includes('\n\n')) {
      const { value, done } = await reader.read()
      if (done) return null
      buffer += value
    }
    const end = buffer.indexOf('\n\n')
    const raw = buffer.slice(0, end)
    buffer = buffer.slice(end + 2)
    const block: StreamBlock = {}
    for (const line of raw.split('\n')) {
      if (line.startsWith(':')) block.comment = line.slice(1).trim()
      else if (line.startsWith('event: ')) block.event = line.slice(7)
      else if (line.startsWith('data: ')) block.data = JSON.parse(line.slice(6))
      else if (line.startsWith('retry: ')) block.retry = Number(line.slice(7))
    }
    return block
  }
  return {
    response,
    next,
    async nextEvent() {
      for (;;) {
        const block = await next()
        if (block === null || block.event) return block
      }
    },
    close: () => reader.cancel(),
  }
}
