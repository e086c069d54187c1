/**
 * Where the callback may send the browser: the same origin as one of OAUTH_RETURN_URLS and a path under its
 * path. Anything else (another host, a scheme-relative `//evil`, `javascript:`, userinfo tricks) is refused: no
 * open redirect.
 */
export function allowedReturnUrl(candidate: string, allowList: string[]): string | undefined {
  if (!URL.canParse(candidate)) return undefined
  const url = new URL(candidate)
  if (url.username || url.password) return undefined
  for (const allowed of allowList) {
    const base = new URL(allowed)
    const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`
    const pathOk = url.pathname === base.pathname || url.pathname.startsWith(basePath)
    if (url.origin === base.origin && pathOk) return url.toString()
  }
  return undefined
}

/** The return URL with one more query parameter (`mfa=required`, `linked=<provider>`). */
export function withParam(returnTo: string, name: string, value: string): string {
  const url = new URL(returnTo)
  url.searchParams.set(name, value)
  return url.toString()
}
