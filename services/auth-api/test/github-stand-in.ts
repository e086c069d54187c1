import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface GitHubUser {
  id: number
  login: string
  name: string
  emails: Array<{ email: string; primary: boolean; verified: boolean }>
}

/**
 * GitHub's OAuth app endpoints as documented (authorize with PKCE, access_token, /user, /user/emails) on loopback:
 * the one provider the tests cannot reach, so its few endpoints are served here. It checks the client secret,
 * the redirect URI and the PKCE verifier like GitHub does, and gives each code once.
 */
export interface GitHubStandIn {
  baseUrl: string
  /** The account that "signs in" at the next authorize. */
  user: GitHubUser
  /** While set, the API path `path` answers `status` (GitHub having a bad day, or revoking the token). */
  failing: { path: string; status: number } | undefined
  close(): Promise<void>
}

export async function startGitHubStandIn(client: { id: string; secret: string }): Promise<GitHubStandIn> {
  const codes = new Map<string, { challenge: string; redirectUri: string; user: GitHubUser }>()
  const tokens = new Map<string, GitHubUser>()
  const standIn = { user: undefined as unknown as GitHubUser } as GitHubStandIn
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', standIn.baseUrl)
    if (url.pathname === '/login/oauth/authorize') {
      const redirectUri = url.searchParams.get('redirect_uri') ?? ''
      if (
        url.searchParams.get('client_id') !== client.id ||
        url.searchParams.get('code_challenge_method') !== 'S256'
      )
        return json(res, 400, { error: 'bad_request' })
      const code = randomBytes(10).toString('hex')
      codes.set(code, {
        challenge: url.searchParams.get('code_challenge') ?? '',
        redirectUri,
        user: standIn.user,
      })
      const back = new URL(redirectUri)
      back.searchParams.set('code', code)
      back.searchParams.set('state', url.searchParams.get('state') ?? '')
      res.writeHead(302, { location: back.toString() })
      return res.end()
    }
    if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      let body = ''
      for await (const chunk of req) body += chunk
      const form = new URLSearchParams(body)
      const grant = codes.get(form.get('code') ?? '')
      codes.delete(form.get('code') ?? '')
      const verifier = form.get('code_verifier') ?? ''
      const challenge = createHash('sha256').update(verifier).digest('base64url')
      if (form.get('client_secret') !== client.secret)
        return json(res, 401, { error: 'incorrect_client_credentials' })
      if (!grant || grant.challenge !== challenge || grant.redirectUri !== form.get('redirect_uri'))
        return json(res, 400, { error: 'invalid_grant' })
      const token = `gho_${randomBytes(16).toString('hex')}`
      tokens.set(token, grant.user)
      return json(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' })
    }
    if (standIn.failing && url.pathname === standIn.failing.path)
      return json(res, standIn.failing.status, { message: 'Server Error' })
    const user = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''))
    if (!user) return json(res, 401, { message: 'Bad credentials' })
    if (url.pathname === '/user') return json(res, 200, { id: user.id, login: user.login, name: user.name })
    if (url.pathname === '/user/emails') return json(res, 200, user.emails)
    return json(res, 404, { message: 'Not Found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  standIn.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  standIn.close = () => new Promise((resolve) => server.close(() => resolve()))
  return standIn
}
