/**
 * The sign-in pages a browser sees: a minimal version of Entra's (sign in, approve, consent, device code, errors).
 * Forms only, no script, no outside resources, every value escaped, stable element ids for browser tests.
 */

/** HTML-escapes text for element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

function page(title: string, body: string): Buffer {
  return Buffer.from(
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
      '<style>body{font-family:sans-serif;max-width:440px;margin:60px auto;color:#1b1b1b}' +
      'input,button{font-size:1em;padding:6px;margin:4px 0}button{min-width:100px}' +
      '.error{color:#a80000}.code{font-family:monospace}</style></head>' +
      `<body><div id="banner">Microsoft (simulator)</div><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
  );
}

function hidden(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
}

/** The account prompt: one sign-in name (the simulator checks no password). */
export function signInPage(options: {
  action: string;
  ctx: string;
  appName: string;
  loginHint?: string;
  error?: { code: string; message: string };
}): Buffer {
  const error = options.error
    ? `<p class="error" id="error-code">${escapeHtml(options.error.code)}</p><p class="error" id="error-message">${escapeHtml(options.error.message)}</p>`
    : '';
  return page(
    'Sign in',
    `<p>to continue to <b id="app-name">${escapeHtml(options.appName)}</b></p>${error}` +
      `<form method="post" action="${escapeHtml(options.action)}">${hidden({ ctx: options.ctx })}` +
      `<input type="email" id="login" name="login" placeholder="Email, phone, or Skype" value="${escapeHtml(options.loginHint ?? '')}" autofocus><br>` +
      '<input type="password" id="password" name="password" placeholder="Password"><br>' +
      '<button type="submit" id="submit">Sign in</button></form>',
  );
}

/** The multifactor prompt ("Approve sign in request"). */
export function mfaPage(options: { action: string; ctx: string; user: string }): Buffer {
  return page(
    'Approve sign in request',
    `<p>${escapeHtml(options.user)}: open your Authenticator app and approve the request.</p>` +
      `<form method="post" action="${escapeHtml(options.action)}">${hidden({ ctx: options.ctx })}` +
      '<button type="submit" id="approve">I approved it</button></form>',
  );
}

/** The consent prompt listing the permissions asked for. */
export function consentPage(options: {
  action: string;
  ctx: string;
  appName: string;
  user: string;
  scopes: string[];
}): Buffer {
  const items = options.scopes.map((s) => `<li class="scope">${escapeHtml(s)}</li>`).join('');
  return page(
    'Permissions requested',
    `<p><b>${escapeHtml(options.appName)}</b> would like to (signed in as <span id="user">${escapeHtml(options.user)}</span>):</p>` +
      `<ul id="scopes">${items}</ul><ul><li class="scope">Maintain access to data you have given it access to</li></ul>` +
      `<form method="post" action="${escapeHtml(options.action)}">${hidden({ ctx: options.ctx })}` +
      '<button type="submit" name="decision" value="accept" id="accept">Accept</button> ' +
      '<button type="submit" name="decision" value="cancel" id="cancel">Cancel</button></form>',
  );
}

/** "Need admin approval": the tenant does not let users consent (AADSTS90094). */
export function adminApprovalPage(options: { action: string; ctx: string; appName: string }): Buffer {
  return page(
    'Need admin approval',
    `<p id="error-code" class="error">AADSTS90094</p><p id="error-message">${escapeHtml(options.appName)} needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.</p>` +
      `<form method="post" action="${escapeHtml(options.action)}">${hidden({ ctx: options.ctx })}` +
      '<button type="submit" name="decision" value="back" id="back">Back to the app</button></form>',
  );
}

/** Entra's error page: shown instead of redirecting when the client or redirect URI cannot be trusted. */
export function errorPage(code: string, message: string): Buffer {
  return page(
    "Sorry, but we're having trouble signing you in.",
    `<p id="error-code" class="error">${escapeHtml(code)}</p><p id="error-message">${escapeHtml(message)}</p>`,
  );
}

/** The device code entry page. */
export function deviceCodePage(options: { action: string; error?: string }): Buffer {
  const error = options.error ? `<p class="error" id="error-message">${escapeHtml(options.error)}</p>` : '';
  return page(
    'Enter code',
    `<p>Enter the code displayed on your app or device.</p>${error}` +
      `<form method="post" action="${escapeHtml(options.action)}">` +
      '<input type="text" id="otc" name="otc" class="code" placeholder="Code" autofocus><br>' +
      '<button type="submit" id="next">Next</button></form>',
  );
}

/** The end of a device code sign-in. */
export function deviceDonePage(options: {
  appName: string;
  outcome: 'approved' | 'declined' | 'blocked';
}): Buffer {
  if (options.outcome === 'approved') {
    return page(
      'You have signed in',
      `<p id="done">You have signed in to the ${escapeHtml(options.appName)} application on your device. You may now close this window.</p>`,
    );
  }
  if (options.outcome === 'blocked') {
    return page(
      'You cannot access this right now',
      '<p id="error-code" class="error">AADSTS53003</p><p id="error-message">Your sign-in was successful but does not meet the criteria to access this resource: Access has been blocked by Conditional Access policies.</p>',
    );
  }
  return page(
    'Sign-in cancelled',
    '<p id="done">You declined; the app on your device was not signed in.</p>',
  );
}

/** A response_mode=form_post answer: a form the user (or a script) submits to the redirect URI. */
export function formPostPage(action: string, fields: Record<string, string>): Buffer {
  return page(
    'Working...',
    `<form method="post" id="form-post" action="${escapeHtml(action)}">${hidden(fields)}` +
      '<button type="submit" id="continue">Continue</button></form>' +
      '<script>document.getElementById("form-post").submit()</script>',
  );
}
