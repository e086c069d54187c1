import { simpleParser } from 'mailparser'
import { linkToken } from './mail-catcher.ts'

/** The link token of a mail file the embedded default wrote (.eml), read with mailparser. */
export async function linkTokenOfEml(eml: string | Buffer): Promise<string> {
  const parsed = await simpleParser(eml)
  return linkToken({ subject: parsed.subject ?? '', text: parsed.text ?? '' })
}
