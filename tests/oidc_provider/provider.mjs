// The tests' OpenID Connect provider: panva's oidc-provider with a username/password
// form, for Streamlit's st.login to sign people in against (tests/signin.py starts it).
//
// Settings, from the environment:
//   OP_PORT        loopback port to listen on; 0 (the default) takes a free one
//   APP_ORIGIN     the app's origin, e.g. http://localhost:8501 (its /oauth2callback is
//                  the one redirect and post-logout address the client may use)
//   CLIENT_ID, CLIENT_SECRET   the app's client (client_secret_basic)
//   OP_USERS       the people who may sign in, as JSON:
//                  {"username": {"password": "...", "sub": "...", "email": "...",
//                                "email_verified": true, "name": "..."}, ...}
//                  password and sub are required; a claim left out is not sent at all.
// Prints "OP_READY <issuer>" on stdout once it listens.
import http from 'node:http';
import crypto from 'node:crypto';
import Provider, { interactionPolicy } from 'oidc-provider';

const APP_ORIGIN = process.env.APP_ORIGIN || 'http://localhost:8501';
const CLIENT_ID = process.env.CLIENT_ID || 'selfstudy-test';
const CLIENT_SECRET = process.env.CLIENT_SECRET;
if (!CLIENT_SECRET) throw new Error('CLIENT_SECRET is not set');

const CLAIMS = ['sub', 'email', 'email_verified', 'name'];

function readUsers(text) {
  const users = JSON.parse(text || '{}');
  for (const [username, user] of Object.entries(users)) {
    if (typeof user.password !== 'string' || typeof user.sub !== 'string' || !user.sub) {
      throw new Error(`OP_USERS: ${username} needs a password and a sub`);
    }
  }
  return users;
}

// Login name -> password and claims.
const USERS = readUsers(process.env.OP_USERS);
const BY_SUB = new Map(Object.values(USERS).map((u) => [u.sub, u]));

// A fresh RS256 signing key per run (no "dev keys" warning, nothing kept).
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

// Streamlit asks for prompt=select_account, which oidc-provider refuses ("unsupported
// prompt value requested") unless the policy has a requestable prompt of that name.
const policy = interactionPolicy.base();
policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 0);

function configuration() {
  return {
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
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // Authlib (so st.user) reads the claims from the ID token only, never from the
    // userinfo endpoint; by default a code flow's ID token carries only `sub`.
    conformIdTokenClaims: false,
    async findAccount(ctx, sub) {
      const user = BY_SUB.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          return Object.fromEntries(CLAIMS.filter((c) => c in user).map((c) => [c, user[c]]));
        },
      };
    },
    features: {
      devInteractions: { enabled: false }, // it takes any name without a password
      rpInitiatedLogout: {
        enabled: true,
        // Confirm "Do you want to sign out?" at once, as a provider the person trusts would.
        async logoutSource(ctx, form) {
          ctx.body = `<!DOCTYPE html><html><head><title>Signing out</title></head><body>${form}
            <input type="hidden" form="op.logoutForm" name="logout" value="yes">
            <script>document.forms[0].submit()</script></body></html>`;
        },
      },
    },
    interactions: { policy },
    ttl: {
      AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600,
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><html><head><title>Provider error</title></head><body><pre id="op-error">${
        esc(JSON.stringify(out))}</pre></body></html>`;
    },
  };
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > 10000) break;
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

function loginPage(uid, error) {
  return `<!DOCTYPE html><html><head><title>Test provider sign-in</title></head><body>
<h1>Test provider sign-in</h1>${error ? `<p id="error">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
  <label>Username <input name="username" id="username" required autofocus></label>
  <label>Password <input name="password" id="password" type="password" required></label>
  <button type="submit" id="submit">Sign in</button>
</form></body></html>`;
}

function passwordMatches(user, password) {
  const a = Buffer.from(user ? user.password : '');
  const b = Buffer.from(password || '');
  return Boolean(user) && a.length === b.length && crypto.timingSafeEqual(a, b);
}

// The interactions: the login form (also for select_account, as Google's account
// chooser would show), then consent granted at once to the first-party test client.
function interactions(provider) {
  return async (ctx, next) => {
    const m = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
    if (!m) return next();
    ctx.set('cache-control', 'no-store');
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const { uid, prompt, params, session } = details;
    const wantsLogin = prompt.name === 'login' || prompt.name === 'select_account';
    if (ctx.method === 'GET' && wantsLogin) {
      ctx.type = 'html';
      ctx.body = loginPage(uid);
      return undefined;
    }
    if (ctx.method === 'POST' && m[2] && wantsLogin) {
      const { username, password } = await readForm(ctx.req);
      const user = Object.hasOwn(USERS, username) ? USERS[username] : undefined;
      if (!passwordMatches(user, password)) {
        ctx.type = 'html';
        ctx.body = loginPage(uid, 'Invalid username or password');
        return undefined;
      }
      // select_account is resolved only by a result key of its name.
      await provider.interactionFinished(ctx.req, ctx.res,
        { select_account: {}, login: { accountId: user.sub } },
        { mergeWithLastSubmission: false });
      ctx.respond = false; // interactionFinished wrote the redirect
      return undefined;
    }
    if (prompt.name === 'consent') {
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
  };
}

// Listen first, so that a port of 0 is known before the issuer (which names it) is made.
const server = http.createServer();
server.listen(Number(process.env.OP_PORT || 0), '127.0.0.1', () => {
  const issuer = `http://localhost:${server.address().port}`;
  const provider = new Provider(issuer, configuration());
  provider.use(interactions(provider));
  provider.on('server_error', (ctx, err) => console.error('OP server_error', err));
  provider.on('authorization.error', (ctx, err) => console.error('OP authorization.error', err.message));
  provider.on('grant.error', (ctx, err) => console.error('OP grant.error', err.message));
  server.on('request', provider.callback());
  console.log(`OP_READY ${issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
