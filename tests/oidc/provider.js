// A private OpenID provider for test_oidc.py: npm's oidc-provider (pinned by
// package-lock.json) on 127.0.0.1, one confidential client (httpd's
// mod_auth_openidc), accounts from a JSON file.  The council's login page is
// a plain form (a browser signs in there: tests/browser/test_signon_browser.py)
// or, for curl and requests, the X-Test-Login request header: either signs
// that account in and grants the scopes asked; an unknown account, 403.  The
// rest is the real authorization-code flow: the authorization request,
// PKCE, the code exchanged at the token endpoint by httpd, a signed ID token.
//
//   node provider.js CONFIG.json     (prints "listening PORT" when ready)
//   CONFIG: {"port", "issuer", "client_id", "client_secret", "redirect_uri",
//            "accounts": {"login": {claims...}}}
'use strict';

const fs = require('node:fs');
const http = require('node:http');

async function main() {
  const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const { default: Provider } = await import('oidc-provider');
  const provider = new Provider(cfg.issuer, {
    clients: [{
      client_id: cfg.client_id,
      client_secret: cfg.client_secret,
      redirect_uris: [cfg.redirect_uri],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name'],
      email: ['email'],
    },
    async findAccount(ctx, id) {
      const claims = cfg.accounts[id];
      if (!claims) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...claims }; } };
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['oidc-test-cookie-key-0123456789'] },
    // the ID token carries the claims (mod_auth_openidc reads them there)
    conformIdTokenClaims: false,
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AuthorizationCode: 60, IdToken: 3600, AccessToken: 3600 },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));

  const callback = provider.callback();
  const readBody = (req) => new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; if (body.length > 4096) req.destroy(); });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
  // the council's sign-in page, as plain as a page can be (the uid is the provider's own)
  const loginPage = (uid) => '<!DOCTYPE html><html lang="en"><head><title>Sign in</title></head><body>' +
    `<main><h1>Sign in to the council</h1><form method="post" action="/interaction/${encodeURIComponent(uid)}">` +
    '<label for="login">Username</label> <input id="login" name="login" autocomplete="username">' +
    ' <button type="submit">Sign in</button></form></main></body></html>';
  const server = http.createServer(async (req, res) => {
    if (!req.url.startsWith('/interaction/')) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      const { prompt, params } = details;
      // who signs in: the test header (curl, requests), or the login form a
      // browser is shown and posts back
      let login = req.headers['x-test-login'];
      if (!login && req.method === 'POST') login = new URLSearchParams(await readBody(req)).get('login');
      if (prompt.name === 'login' && !login && req.method === 'GET') {
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.end(loginPage(details.uid));
        return;
      }
      if (prompt.name === 'login' && (!login || !cfg.accounts[login])) {
        res.statusCode = 403;
        res.end('the test login page: no such account');
        return;
      }
      let result;
      if (prompt.name === 'login') {
        result = { login: { accountId: login } };
      } else if (prompt.name === 'consent') {
        const grant = details.grantId
          ? await provider.Grant.find(details.grantId)
          : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
        if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
        if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
        result = { consent: { grantId: await grant.save() } };
      } else {
        res.statusCode = 400;
        res.end('unexpected prompt ' + prompt.name);
        return;
      }
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    } catch (err) {
      console.error(err);
      res.statusCode = 500;
      res.end(String(err));
    }
  });
  server.listen(cfg.port, '127.0.0.1', () => console.log('listening ' + cfg.port));
}

main().catch((err) => { console.error(err); process.exit(1); });
