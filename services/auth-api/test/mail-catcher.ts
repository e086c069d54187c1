import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface CaughtMail {
  to: string
  subject: string
  text: string
  html: string
  parsed: ParsedMail
}

/** A real SMTP server on loopback: what nodemailer delivers is parsed with mailparser and kept here. */
export interface MailCatcher {
  url: string
  mails: CaughtMail[]
  /** The first mail (already received or still to come) matching, or a rejection after timeoutMs. */
  waitFor(match: (mail: CaughtMail) => boolean, timeoutMs?: number): Promise<CaughtMail>
  /** Until the returned release() is called, the server sits on every message before accepting it. */
  hold(): () => void
  close(): Promise<void>
}

export async function startMailCatcher(): Promise<MailCatcher> {
  const mails: CaughtMail[] = []
  const waiters = new Set<() => void>()
  let held: Promise<void> = Promise.resolve()
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then(async (parsed) => {
          await held
          const to = Array.isArray(parsed.to) ? parsed.to[0]?.text : parsed.to?.text
          mails.push({
            to: to ?? '',
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            parsed,
          })
          for (const wake of waiters) wake()
          callback()
        })
        .catch(callback)
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    waitFor(match, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = mails.find(match)
          if (!found) return false
          clearTimeout(timer)
          waiters.delete(wake)
          resolve(found)
          return true
        }
        const wake = () => void check()
        const timer = setTimeout(() => {
          waiters.delete(wake)
          reject(new Error(`no matching mail within ${timeoutMs} ms (got ${mails.length})`))
        }, timeoutMs)
        if (!check()) waiters.add(wake)
      })
    },
    hold() {
      let release = () => {}
      held = new Promise((resolve) => {
        release = resolve
      })
      return release
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** The token of a mailed link (`...#token=<token>`), from the plain-text part. */
export function linkToken(mail: Pick<CaughtMail, 'subject' | 'text'>): string {
  const match = /#token=([A-Za-z0-9._%-]+)/.exec(mail.text)
  if (!match?.[1]) throw new Error(`no token link in mail "${mail.subject}"`)
  return decodeURIComponent(match[1])
}
