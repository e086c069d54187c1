import type { MailMessage } from './mailer.ts'

/** Links carry the token in the fragment: it never reaches a server log or a Referer header. */
export function tokenLink(appUrl: string, path: string, token: string): string {
  return `${appUrl.replace(/\/$/, '')}${path}#token=${encodeURIComponent(token)}`
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function message(
  kind: string,
  to: string,
  subject: string,
  lines: string[],
  link?: { href: string; label: string },
): MailMessage {
  const text = [...lines, ...(link ? ['', `${link.label}: ${link.href}`] : [])].join('\n')
  const html = [
    ...lines.map((line) => `<p>${escapeHtml(line)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p>`] : []),
  ].join('\n')
  return { kind, to, subject, text, html }
}

export function verifyEmailMail(to: string, link: string, hours: number): MailMessage {
  return message(
    'verify-email',
    to,
    'Confirm your email address',
    [
      'Welcome to Gatehouse. Confirm that this address is yours by opening the link below.',
      `The link works once and expires in ${hours} hours. If you did not sign up, ignore this mail.`,
    ],
    { href: link, label: 'Confirm my email address' },
  )
}

export function changeEmailMail(to: string, link: string, hours: number): MailMessage {
  return message(
    'change-email',
    to,
    'Confirm your new email address',
    [
      'Someone (hopefully you) asked to use this address for their Gatehouse account.',
      `The change takes effect when you open the link below; it works once and expires in ${hours} hours.`,
    ],
    { href: link, label: 'Use this email address' },
  )
}

export function emailChangeRequestedMail(to: string, newEmail: string): MailMessage {
  return message('email-change-requested', to, 'Your email address is being changed', [
    `A change of your Gatehouse account's email address to ${newEmail} was requested.`,
    'It takes effect only once the new address is confirmed. If this was not you, change your password now.',
  ])
}

export function passwordResetMail(to: string, link: string, minutes: number): MailMessage {
  return message(
    'password-reset',
    to,
    'Reset your password',
    [
      'Someone asked to reset the password of your Gatehouse account.',
      `Open the link below to choose a new one; it works once and expires in ${minutes} minutes.`,
      'If this was not you, ignore this mail: your password stays as it is.',
    ],
    { href: link, label: 'Choose a new password' },
  )
}

export function passwordChangedMail(to: string): MailMessage {
  return message('password-changed', to, 'Your password was changed', [
    'The password of your Gatehouse account was just changed and your other sessions were signed out.',
    'If this was not you, reset your password at once.',
  ])
}
