// Local OpenID provider for Varde's Feide login tests.
//
// A real, certified OpenID Connect implementation (panva/oidc-provider)
// configured the way Feide (https://auth.dataporten.no) behaves for Varde:
// authorization code flow only, PKCE S256 required, RS256 ID tokens, scopes
// `openid`, `userid-feide`, `profile`. The login/consent UI is replaced by a
// test-controlled auto-completion, and a small JSON control API under
// `/__test/` lets a test queue the next login and tamper with the next ID token.
//
// Config (environment):
//   PORT           port on 127.0.0.1, 0 = pick a free one (default 0)
//   CLIENT_ID      the one registered client (default "varde")
//   CLIENT_SECRET  its secret (default "varde-secret")
//   REDIRECT_URIS  comma separated redirect URIs (default http://127.0.0.1/callback)
//
// Prints exactly one line to stdout, `READY http://127.0.0.1:<port>`, once it
// is listening; everything else (oidc-provider notices included) goes to stderr.

import http from 'node:http';
import {
  createHmac, createPublicKey, randomBytes, randomUUID,
} from 'node:crypto';

import * as jose from 'jose';
import Provider, { interactionPolicy } from 'oidc-provider';

// oidc-provider prints its notices with console.info (stdout). stdout is
// reserved for the READY line, so send all console output to stderr.
console.log = console.error;
console.info = console.error;

const EPPN_CLAIM = 'https://n.feide.no/claims/eduPersonPrincipalName';
const TAMPER_MODES = new Set([
  'bad_signature', 'wrong_aud', 'wrong_iss', 'expired', 'wrong_nonce',
  'alg_none', 'hs256', 'rotated_key', 'unknown_key', 'azp_other', 'replayed',
]);

const port = Number.parseInt(process.env.PORT ?? '0', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new Error(`invalid PORT: ${process.env.PORT}`);
}
const clientId = process.env.CLIENT_ID || 'varde';
const clientSecret = process.env.CLIENT_SECRET || 'varde-secret';
const redirectUris = (process.env.REDIRECT_URIS || 'http://127.0.0.1/callback')
  .split(',').map((s) => s.trim()).filter(Boolean);

// ---------------------------------------------------------------- keys

async function newSigningKey() {
  const { publicKey, privateKey } = await jose.generateKeyPair('RS256', {
    modulusLength: 2048,
    extractable: true,
  });
  const publicJwk = await jose.exportJWK(publicKey);
  const kid = await jose.calculateJwkThumbprint(publicJwk);
  return {
    kid,
    publicKey,
    privateKey,
    publicJwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' },
    privateJwk: { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' },
  };
}

const mainKey = await newSigningKey();
// The public key as the usual SPKI PEM file text (64-column lines, trailing
// newline): the HMAC secret of the `hs256` key-confusion token.
const mainPublicPem = createPublicKey({ key: mainKey.publicJwk, format: 'jwk' })
  .export({ type: 'spki', format: 'pem' });
// Keys added by the `rotated_key` tamper mode; published in /jwks from then on.
const rotatedKeys = [];

// ---------------------------------------------------------------- test state

const accounts = new Map(); // sub -> { sub, eppn, name }
let pendingLogin = null; // { sub } consumed by the next interaction
let pendingDenial = null; // { error, error_description } consumed by the next interaction
let pendingTamper = null; // mode string consumed by the next token response with an id_token
let lastIdToken = null; // the id_token issued before, as issued: what the `replayed` mode sends

// ---------------------------------------------------------------- provider config

const policy = interactionPolicy.base();
// A queued login always goes through the interaction, even when the client
// still has a session cookie from an earlier login (otherwise SSO would
// silently reuse the previous account).
policy.get('login').checks.add(new interactionPolicy.Check(
  'varde_test_login_queued',
  'the test harness queued a login',
  () => (pendingLogin || pendingDenial
    ? interactionPolicy.Check.REQUEST_PROMPT
    : interactionPolicy.Check.NO_NEED_TO_PROMPT),
));

function configuration() {
  return {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      application_type: 'web',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      require_auth_time: true, // Feide's ID tokens carry auth_time
    }],
    // client_secret_basic and client_secret_post are interchangeable for a
    // client registered with either (see lib/shared/client_auth.js).
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    responseTypes: ['code'],
    pkce: { required: () => true }, // oidc-provider 9 only implements S256
    scopes: ['openid', 'userid-feide', 'profile'],
    claims: {
      openid: ['sub'],
      'userid-feide': [EPPN_CLAIM],
      profile: ['name'],
      acr: null,
      auth_time: null,
      sid: null,
      iss: null,
    },
    // Scope-derived claims go into the ID token too (Feide puts eppn there).
    conformIdTokenClaims: false,
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256'],
    },
    jwks: { keys: [mainKey.privateJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      // Not offered by Feide; keep the discovery document close to its.
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
    },
    interactions: {
      policy,
      url: (ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    issueRefreshToken: () => false,
    async findAccount(ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            ...(account.eppn === undefined ? undefined : { [EPPN_CLAIM]: account.eppn }),
            ...(account.name === undefined ? undefined : { name: account.name }),
          };
        },
      };
    },
    async renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
  };
}

// ---------------------------------------------------------------- helpers

function b64urlJson(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function readJson(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    ctx.throw(400, 'request body must be JSON');
  }
  return undefined;
}

function json(ctx, status, body) {
  ctx.status = status;
  ctx.type = 'json';
  ctx.body = body;
}

async function resign(header, payload, key) {
  return new jose.CompactSign(Buffer.from(JSON.stringify(payload)))
    .setProtectedHeader({ ...header, alg: 'RS256', kid: key.kid })
    .sign(key.privateKey);
}

async function tamper(mode, idToken) {
  const [h, p, s] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  const now = Math.floor(Date.now() / 1000);

  switch (mode) {
    case 'bad_signature': {
      const sig = Buffer.from(s, 'base64url');
      for (let i = 0; i < 8 && i < sig.length; i += 1) sig[sig.length - 1 - i] ^= 0xff;
      sig[0] ^= 0xff;
      return `${h}.${p}.${sig.toString('base64url')}`;
    }
    case 'wrong_aud':
      return resign(header, { ...payload, aud: 'someone-else' }, mainKey);
    case 'wrong_iss':
      return resign(header, { ...payload, iss: 'http://evil.example' }, mainKey);
    case 'expired':
      return resign(header, { ...payload, iat: now - 3600, exp: now - 3600 }, mainKey);
    case 'wrong_nonce':
      return resign(header, { ...payload, nonce: 'not-the-nonce' }, mainKey);
    case 'azp_other':
      return resign(header, { ...payload, azp: 'someone-else' }, mainKey);
    case 'alg_none':
      return `${b64urlJson({ alg: 'none' })}.${p}.`;
    case 'hs256': {
      // Key confusion: HMAC keyed with the RSA public key's SPKI PEM text.
      const signingInput = `${b64urlJson({ ...header, alg: 'HS256' })}.${p}`;
      const mac = createHmac('sha256', mainPublicPem).update(signingInput).digest('base64url');
      return `${signingInput}.${mac}`;
    }
    case 'rotated_key': {
      const key = await newSigningKey();
      rotatedKeys.push(key);
      return resign(header, payload, key);
    }
    case 'unknown_key': {
      const key = await newSigningKey();
      return resign(header, payload, key);
    }
    default:
      throw new Error(`unknown tamper mode ${mode}`);
  }
}

// ---------------------------------------------------------------- server

const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;
const provider = new Provider(issuer, configuration());

provider.on('server_error', (ctx, err) => console.error('server_error', err));

// Control API, under /__test/.
provider.use(async (ctx, next) => {
  if (!ctx.path.startsWith('/__test/')) return next();
  const route = `${ctx.method} ${ctx.path}`;
  switch (route) {
    case 'GET /__test/health':
      return json(ctx, 200, { ok: true, issuer });
    case 'GET /__test/public-key.pem':
      ctx.type = 'application/x-pem-file';
      ctx.body = mainPublicPem;
      return undefined;
    case 'POST /__test/reset':
      pendingLogin = null;
      pendingDenial = null;
      pendingTamper = null;
      return json(ctx, 200, { ok: true });
    case 'POST /__test/next-login': {
      const body = await readJson(ctx);
      const sub = body.sub ?? randomUUID();
      if (typeof sub !== 'string' || !sub) return json(ctx, 400, { error: 'sub must be a non-empty string' });
      for (const k of ['eppn', 'name']) {
        if (body[k] !== undefined && typeof body[k] !== 'string') {
          return json(ctx, 400, { error: `${k} must be a string` });
        }
      }
      accounts.set(sub, { sub, eppn: body.eppn, name: body.name });
      pendingLogin = { sub };
      pendingDenial = null;
      return json(ctx, 200, { sub, eppn: body.eppn ?? null, name: body.name ?? null });
    }
    case 'POST /__test/next-denial': {
      const body = await readJson(ctx);
      pendingDenial = {
        error: body.error ?? 'access_denied',
        error_description: body.error_description ?? 'denied by the test harness',
      };
      pendingLogin = null;
      return json(ctx, 200, pendingDenial);
    }
    case 'POST /__test/tamper': {
      const body = await readJson(ctx);
      if (body.mode === null || body.mode === 'off') {
        pendingTamper = null;
        return json(ctx, 200, { mode: null });
      }
      if (!TAMPER_MODES.has(body.mode)) {
        return json(ctx, 400, { error: `mode must be one of ${[...TAMPER_MODES].join(', ')} (or "off")` });
      }
      pendingTamper = body.mode;
      return json(ctx, 200, { mode: pendingTamper });
    }
    default:
      return json(ctx, 404, { error: `no such control route: ${route}` });
  }
});

// Auto-completing interaction: /interaction/:uid -> straight back to /auth/:uid.
provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([^/]+)$/.exec(ctx.path);
  if (!m || ctx.method !== 'GET') return next();

  let interaction;
  try {
    interaction = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    return json(ctx, 400, { error: 'invalid_interaction', error_description: err.error_description ?? err.message });
  }

  if (pendingDenial) {
    const result = pendingDenial;
    pendingDenial = null;
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    return ctx.redirect(returnTo);
  }

  const { params, prompt } = interaction;
  let accountId;
  if (pendingLogin) {
    accountId = pendingLogin.sub;
    pendingLogin = null;
    // Always a fresh login: drop any existing session so that switching
    // accounts never triggers oidc-provider's logout-confirmation form.
    if (interaction.session?.uid) {
      const session = await provider.Session.findByUid(interaction.session.uid);
      if (session) await session.destroy();
      interaction.session = undefined;
      await interaction.persist();
    }
  } else if (interaction.session?.accountId && prompt.name !== 'login') {
    accountId = interaction.session.accountId; // consent for an existing session
  } else {
    return json(ctx, 409, {
      error: 'no_login_queued',
      error_description: 'POST /__test/next-login before starting the authorization request',
    });
  }

  const grant = new provider.Grant({ accountId, clientId: params.client_id });
  if (params.scope) grant.addOIDCScope(params.scope);
  if (params.claims) {
    const claims = JSON.parse(params.claims);
    if (claims.id_token) grant.addOIDCClaims(Object.keys(claims.id_token));
    if (claims.userinfo) grant.addOIDCClaims(Object.keys(claims.userinfo));
  }
  const grantId = await grant.save();

  const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId, remember: true },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
  ctx.status = 303;
  return ctx.redirect(returnTo);
});

// Token response tampering and publication of rotated keys.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/jwks' && ctx.status === 200 && rotatedKeys.length) {
    ctx.body = { keys: [...ctx.body.keys, ...rotatedKeys.map((k) => k.publicJwk)] };
    ctx.type = 'application/jwk-set+json; charset=utf-8';
  }
  if (
    ctx.path === '/token' && ctx.method === 'POST'
    && ctx.status === 200 && typeof ctx.body?.id_token === 'string'
  ) {
    const issued = ctx.body.id_token;
    if (pendingTamper) {
      const mode = pendingTamper;
      pendingTamper = null;
      // `replayed`: a genuine, valid token from the previous login, with that login's nonce.
      if (mode === 'replayed' && !lastIdToken) throw new Error('replayed needs an earlier login');
      const idToken = mode === 'replayed' ? lastIdToken : await tamper(mode, issued);
      ctx.body = { ...ctx.body, id_token: idToken };
      console.error(`tampered id_token: ${mode}`);
    }
    lastIdToken = issued;
  }
});

server.on('request', provider.callback());
process.stdout.write(`READY ${issuer}\n`);

// Optional: exit when stdin reaches EOF, so a provider whose parent test
// process died (stdin pipe closed) does not linger. Opt-in because a parent
// that gives the child /dev/null as stdin would stop it at once.
if (process.env.EXIT_ON_STDIN_EOF === '1') {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
