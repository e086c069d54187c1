import { CookieJar } from 'tough-cookie'

export interface Page {
  url: string
  status: number
  headers: Headers
  text: string
}

/**
 * A cookie-keeping HTTP client that follows redirects one by one like a browser, submits the provider's login and
 * consent forms, and stops before leaving loopback (the return URL of the app is only recorded).
 */
export interface Browser {
  jar: CookieJar
  /** Every URL requested or redirected to, in order. */
  visited: string[]
  fetch(
    url: string,
    init?: { method?: string; body?: string; headers?: Record<string, string> },
  ): Promise<Page>
  /**
   * Follows redirects from `url` until a page that is not a redirect, or a URL `stopAt` accepts (returned
   * unrequested, status 0). `rewrite` may change a URL before it is requested.
   */
  navigate(url: string, options?: NavigateOptions, init?: { method?: string; body?: string }): Promise<Page>
  /** Submits every login and consent form of the provider until something else comes back. */
  signInAtProvider(page: Page, login: string, options?: NavigateOptions): Promise<Page>
}

export interface NavigateOptions {
  stopAt?: (url: string) => boolean
  rewrite?: (url: string) => string
}

const MAX_REDIRECTS = 20

export function createBrowser(): Browser {
  const jar = new CookieJar()
  const visited: string[] = []

  const browser: Browser = {
    jar,
    visited,
    async fetch(url, init = {}) {
      visited.push(url)
      const cookie = await jar.getCookieString(url)
      const response = await fetch(url, {
        method: init.method ?? 'GET',
        redirect: 'manual',
        headers: { ...(cookie ? { cookie } : {}), ...init.headers },
        ...(init.body === undefined ? {} : { body: init.body }),
      })
      for (const setCookie of response.headers.getSetCookie()) await jar.setCookie(setCookie, url)
      return { url, status: response.status, headers: response.headers, text: await response.text() }
    },
    async navigate(url, options = {}, init = {}) {
      let next = url
      let request = init
      for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
        next = options.rewrite ? options.rewrite(next) : next
        if (options.stopAt?.(next)) return { url: next, status: 0, headers: new Headers(), text: '' }
        const page = await browser.fetch(next, {
          ...request,
          ...(request.body ? { headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {}),
        })
        const location = page.headers.get('location')
        if (page.status < 300 || page.status >= 400 || !location) return page
        next = new URL(location, next).toString()
        request = {}
      }
      throw new Error(`more than ${MAX_REDIRECTS} redirects from ${url}`)
    },
    async signInAtProvider(page, login, options = {}) {
      let current = page
      for (let step = 0; step < 4; step++) {
        const form = /<form[^>]*action="([^"]+)"[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(
          current.text,
        )
        if (!form?.[1] || current.status !== 200) return current
        const fields = new URLSearchParams()
        for (const input of (form[2] ?? '').matchAll(/<input[^>]*>/gi)) {
          const name = /name="([^"]+)"/.exec(input[0])?.[1]
          if (!name) continue
          const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? ''
          fields.set(name, name === 'login' ? login : name === 'password' ? 'any password' : value)
        }
        const action = new URL(form[1].replaceAll('&amp;', '&'), current.url).toString()
        current = await browser.navigate(action, options, { method: 'POST', body: fields.toString() })
      }
      return current
    },
  }
  return browser
}
