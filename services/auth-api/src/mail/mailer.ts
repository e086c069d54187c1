import { randomBytes } from 'node:crypto'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyBaseLogger } from 'fastify'
import nodemailer from 'nodemailer'

export interface MailMessage {
  to: string
  subject: string
  text: string
  html: string
  /** What the mail is for (`verify-email`, `password-reset`, ...): logged, and part of a mail file's name. */
  kind: string
}

export interface Mailer {
  send(message: MailMessage): Promise<void>
  close(): void
}

export interface MailerSettings {
  from: string
  /** smtp(s)://...; without it messages are written to `mailDir`. */
  smtpUrl?: string
  mailDir: string
  log: FastifyBaseLogger
}

/**
 * nodemailer to SMTP_URL, or (outside production, where config refuses a missing SMTP_URL) each message as an
 * .eml file in the mail folder. The log names the recipient, the kind and the file, never the message: its
 * links carry tokens.
 */
export function createMailer({ from, smtpUrl, mailDir, log }: MailerSettings): Mailer {
  if (smtpUrl) {
    const transport = nodemailer.createTransport(smtpUrl)
    return {
      async send(message) {
        await transport.sendMail({ from, ...pick(message) })
        log.info({ to: message.to, kind: message.kind }, 'mail sent')
      },
      close: () => transport.close(),
    }
  }
  log.info({ mailDir }, `no SMTP_URL: mail is written to files in ${mailDir}`)
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
  return {
    async send(message) {
      const info = await transport.sendMail({ from, ...pick(message) })
      await mkdir(mailDir, { recursive: true })
      const file = join(mailDir, mailFileName(message))
      // Written aside, then renamed: whoever watches the folder never reads a half-written message.
      await writeFile(`${file}.partial`, info.message as Buffer, { mode: 0o600 })
      await rename(`${file}.partial`, file)
      log.info({ to: message.to, kind: message.kind, file }, `mail written to ${file}`)
    },
    close: () => transport.close(),
  }
}

function pick({ to, subject, text, html }: MailMessage) {
  return { to, subject, text, html }
}

/** Sorts by time; the recipient is in the name so a developer finds their mail. */
function mailFileName(message: MailMessage): string {
  const stamp = new Date().toISOString().replaceAll(':', '-')
  const recipient = message.to.replace(/[^a-zA-Z0-9@._-]/g, '_')
  return `${stamp}-${message.kind}-${recipient}-${randomBytes(3).toString('hex')}.eml`
}
