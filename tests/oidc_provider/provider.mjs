// Minimal test OpenID Connect provider for st.login tests.
// Usage: node provider.mjs   (config via env, see below)
//   OP_PORT       port to listen on (127.0.0.1), default 9400
//   APP_ORIGIN    origin of the Streamlit app, default http://localhost:8501
//   CLIENT_ID / CLIENT_SECRET
// Prints "OP_READY <issuer>" on stdout once listening.
import http from 'node:http';
import crypto from 'node:crypto';
import Provider, { interactionPolicy } from 'oidc-provider';

const PORT = Number(process.env.OP_PORT || 9400);
const ISSUER = `http://localhost:${PORT}`;
const APP_ORIGIN = process.env.APP_ORIGIN || 'http://localhost:8501';
const CLIENT_ID = process.env.CLIENT_ID || 'streamlit-test';
const CLIENT_SECRET = process.env.CLIENT_SECRET || 'streamlit-test-secret-0123456789abcdef';

// Test users: login name -> claims (+ password, checked by the custom login form).
const USERS = {
  alice: { password: 'alice-pw', sub: 'user-alice', email: 'alice@example.test', email_verified: true, name: 'Alice Able' },
  bob: { password: 'bob-pw', sub: 'user-bob', email: 'bob@example.test', email_verified: true, name: 'Bob Baker' },
};
const BY_SUB = Object.fromEntries(Object.values(USERS).map((u) => [u.sub, u]));

// A fresh RS256 signing key per run (avoids the "dev keys" warning).
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

// Policy: select_account (only when requested) -> login -> consent.
const policy = interactionPolicy.base();
policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 0);

const configuration = {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [`${APP_ORIGIN}/oauth2callback`],
    // st.logout sends post_logout_redirect_uri=<redirect_uri>; it must be registered.
    post_logout_redirect_uris: [`${APP_ORIGIN}/oauth2callback`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic', // Authlib's default
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ['test-provider-cookie-key-1'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // Authlib (hence st.user) reads the claims from the ID token only, never from
  // the userinfo endpoint. With the default (true) the ID token of a code flow
  // only carries `sub`, and st.user.email would be missing.
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    const u = BY_SUB[id];
    if (!u) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: u.sub, email: u.email, email_verified: u.email_verified, name: u.name };
      },
    };
  },
  features: {
    devInteractions: { enabled: false }, // we mount our own tiny login below
    rpInitiatedLogout: {
      enabled: true,
      // Auto-confirm the "Do you want to sign-out?" page.
      async logoutSource(ctx, form) {
        ctx.body = `<!DOCTYPE html><html><head><title>Signing out</title></head><body>${form}
          <input type="hidden" form="op.logoutForm" name="logout" value="yes">
          <script>document.forms[0].submit()</script></body></html>`;
      },
    },
  },
  // Streamlit sends prompt=select_account by default, which oidc-provider rejects
  // ("unsupported prompt value requested") unless the policy has a requestable
  // prompt of that name. Alternative: [auth.client_kwargs] prompt = "login".
  interactions: { policy },
  ttl: {
    AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600,
  },
  renderError(ctx, out, error) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html><head><title>OP error</title></head><body><pre id="op-error">${
      JSON.stringify(out).replace(/</g, '&lt;')}</pre></body></html>`;
  },
};

const provider = new Provider(ISSUER, configuration);

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
async function readForm(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return Object.fromEntries(new URLSearchParams(raw));
}
function loginPage(uid, error) {
  return `<!DOCTYPE html><html><head><title>Test OP sign-in</title></head><body>
<h1>Test OP sign-in</h1>${error ? `<p id="error">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
  <label>Username <input name="username" id="username" required autofocus></label>
  <label>Password <input name="password" id="password" type="password" required></label>
  <button type="submit" id="submit">Sign in</button>
</form></body></html>`;
}

// Minimal interaction (login + automatic consent) mounted in front of the provider routes.
provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!m) return next();
  ctx.set('cache-control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { uid, prompt, params, session } = details;

  // select_account is treated as "show the login form" (acts like Google's account chooser).
  const wantsLogin = prompt.name === 'login' || prompt.name === 'select_account';
  if (ctx.method === 'GET' && wantsLogin) {
    ctx.type = 'html';
    ctx.body = loginPage(uid);
    return undefined;
  }
  if (ctx.method === 'POST' && m[2] && wantsLogin) {
    const { username, password } = await readForm(ctx.req);
    const u = USERS[username];
    if (!u || u.password !== password) {
      ctx.type = 'html';
      ctx.body = loginPage(uid, 'Invalid username or password');
      return undefined;
    }
    // Resolving select_account needs a result key of that name.
    await provider.interactionFinished(ctx.req, ctx.res,
      { select_account: {}, login: { accountId: u.sub } },
      { mergeWithLastSubmission: false });
    ctx.respond = false; // interactionFinished already wrote the 303 redirect
    return undefined;
  }
  if (prompt.name === 'consent') {
    // First-party test client: grant everything requested, no consent screen.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } },
      { mergeWithLastSubmission: true });
    ctx.respond = false;
    return undefined;
  }
  ctx.status = 400;
  ctx.body = `unexpected interaction ${prompt.name}`;
  return undefined;
});

provider.on('server_error', (ctx, err) => console.error('OP server_error', err));
provider.on('authorization.error', (ctx, err) => console.error('OP authorization.error', err.message, err.error_description || ''));
provider.on('grant.error', (ctx, err) => console.error('OP grant.error', err.message, err.error_description || ''));

http.createServer(provider.callback()).listen(PORT, '127.0.0.1', () => {
  console.log(`OP_READY ${ISSUER}`);
});
