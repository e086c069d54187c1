import type { CatalogueEntry } from '@gatehouse/service-kit'

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)

/** `auth-api-token-reused` or `AUTH_API_TOKEN_REUSED` → `AUTH_API_TOKEN_REUSED`. */
export function codeOfSlug(slug: string): string {
  return slug.toUpperCase().replaceAll('-', '_')
}

export function slugOf(code: string): string {
  return code.toLowerCase().replaceAll('_', '-')
}

/** Whether the client would rather read HTML (a browser following a problem's `type` link). */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false
  const html = accept.indexOf('text/html')
  const json = accept.indexOf('application/json')
  return html !== -1 && (json === -1 || html < json)
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1b1b}
code{font-family:ui-monospace,monospace}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}
a{color:#0366d6}</style></head><body>${body}</body></html>`
}

export function catalogueHtml(entries: readonly CatalogueEntry[]): string {
  const services = [...new Set(entries.map((entry) => entry.service))]
  const sections = services.map((service) => {
    const rows = entries
      .filter((entry) => entry.service === service)
      .map(
        (entry) =>
          `<tr><td><a href="/errors/${slugOf(entry.code)}"><code>${escapeHtml(entry.code)}</code></a></td>` +
          `<td>${entry.status}</td><td>${escapeHtml(entry.title)}</td><td>${escapeHtml(entry.hint)}</td></tr>`,
      )
      .join('\n')
    return `<h2>${escapeHtml(service)}</h2><table><tr><th>code</th><th>status</th><th>title</th><th>what to do</th></tr>${rows}</table>`
  })
  return page(
    'Gatehouse error catalogue',
    `<h1>Error catalogue</h1><p>Every <code>code</code> a Gatehouse service can answer in an
<code>application/problem+json</code> body. Switch on <code>code</code>, never on <code>title</code> or
<code>detail</code>. The API itself: <a href="/docs">/docs</a>.</p>${sections.join('\n')}`,
  )
}

export function entryHtml(entry: CatalogueEntry): string {
  return page(
    entry.code,
    `<p><a href="/errors">Error catalogue</a></p><h1><code>${escapeHtml(entry.code)}</code></h1>
<table><tr><th>status</th><td>${entry.status}</td></tr><tr><th>title</th><td>${escapeHtml(entry.title)}</td></tr>
<tr><th>service</th><td>${escapeHtml(entry.service)}</td></tr><tr><th>what to do</th><td>${escapeHtml(entry.hint)}</td></tr></table>`,
  )
}
