/// The script vauth installs in every frame before the page's own scripts run
/// (`Page.addScriptToEvaluateOnNewDocument`). It routes `navigator.credentials.create/get` for
/// `publicKey` to vauth through the CDP binding and turns vauth's answer into what a browser gives:
/// a `PublicKeyCredential` (WebAuthn L3 §5.1) or a `DOMException` / `TypeError`.
///
/// Nothing the page sends decides an origin: the payload carries only the call's number, its kind
/// and the options; vauth takes the caller's origin from the browser (``FrameRegistry``).
enum InjectedScript {
    /// The name of the CDP binding (`Runtime.addBinding`) the script sends calls through.
    static let bindingName = "__vauthBridge"
    /// The non-writable function vauth's answers call (`Runtime.evaluate` in the caller's context).
    static let answerFunction = "__vauthBridgeAnswer"

    /// The script's source.
    static var source: String {
        template.replacingOccurrences(of: "@BINDING@", with: bindingName).replacingOccurrences(of: "@ANSWER@", with: answerFunction)
    }

    private static let template = #"""
(() => {
  'use strict';
  // Insecure contexts (and the first about:blank) have no CredentialsContainer: leave them alone.
  if (!globalThis.isSecureContext || typeof CredentialsContainer === 'undefined' ||
      typeof PublicKeyCredential === 'undefined') return;
  // runImmediately and a later document both run this: install once per global.
  if (Object.prototype.hasOwnProperty.call(globalThis, '@ANSWER@')) return;
  const send = globalThis['@BINDING@'];
  if (typeof send !== 'function') return;

  const pending = new Map();
  let nextCall = 1;

  // --- base64url <-> ArrayBuffer ------------------------------------------------------------
  const toBase64url = (bytes) => {
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const fromBase64url = (text) => {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  };

  // --- WebIDL-like conversion of the options to their JSON form (L3 §5.1.9 in reverse) --------
  const isBufferSource = (value) => value instanceof ArrayBuffer || ArrayBuffer.isView(value) ||
    (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer);
  const bytesOf = (value) => ArrayBuffer.isView(value)
    ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(value);
  const typeError = (operation, what) =>
    new TypeError(`Failed to execute '${operation}' on 'CredentialsContainer': ${what}`);
  const requiredBuffer = (operation, value, name) => {
    if (value === undefined) throw typeError(operation, `The '${name}' member is required.`);
    if (!isBufferSource(value)) throw typeError(operation, `The '${name}' member is not of type '(ArrayBuffer or ArrayBufferView)'.`);
    return toBase64url(bytesOf(value));
  };
  // Every BufferSource becomes base64url, as PublicKeyCredential's JSON forms have it.
  const jsonForm = (value) => {
    if (isBufferSource(value)) return toBase64url(bytesOf(value));
    if (Array.isArray(value)) return value.map(jsonForm);
    if (value !== null && typeof value === 'object') {
      const out = {};
      for (const key of Object.keys(value)) if (value[key] !== undefined) out[key] = jsonForm(value[key]);
      return out;
    }
    return value;
  };
  const descriptors = (operation, list, name) => {
    if (list === undefined) return undefined;
    if (list === null || typeof list[Symbol.iterator] !== 'function') throw typeError(operation, `The '${name}' member is not a sequence.`);
    return Array.from(list, (entry, index) => {
      if (entry === null || typeof entry !== 'object') throw typeError(operation, `${name}[${index}] is not an object.`);
      return { ...jsonForm(entry), id: requiredBuffer(operation, entry.id, `${name}[${index}].id`) };
    });
  };
  const creationOptionsJSON = (options) => {
    if (options.user === null || typeof options.user !== 'object') throw typeError('create', "The 'user' member is required.");
    if (options.rp === null || typeof options.rp !== 'object') throw typeError('create', "The 'rp' member is required.");
    if (!Array.isArray(options.pubKeyCredParams)) throw typeError('create', "The 'pubKeyCredParams' member is required.");
    const json = jsonForm(options);
    json.challenge = requiredBuffer('create', options.challenge, 'challenge');
    json.user = { ...jsonForm(options.user), id: requiredBuffer('create', options.user.id, 'user.id') };
    json.excludeCredentials = descriptors('create', options.excludeCredentials, 'excludeCredentials');
    return json;
  };
  const requestOptionsJSON = (options) => {
    const json = jsonForm(options);
    json.challenge = requiredBuffer('get', options.challenge, 'challenge');
    json.allowCredentials = descriptors('get', options.allowCredentials, 'allowCredentials');
    return json;
  };

  // --- what the page receives ----------------------------------------------------------------
  // Own, read-only, non-enumerable data properties: the prototypes' getters would throw
  // "Illegal invocation" on an object the browser did not make.
  const define = (target, members) => {
    for (const [name, value] of Object.entries(members)) {
      Object.defineProperty(target, name, { value, enumerable: false, writable: false, configurable: true });
    }
    return target;
  };
  const extensionResults = (json) => {
    const results = JSON.parse(JSON.stringify(json || {}));
    const prf = results.prf && results.prf.results;
    if (prf) for (const key of ['first', 'second']) if (typeof prf[key] === 'string') prf[key] = fromBase64url(prf[key]);
    return results;
  };
  const credentialFrom = (json, kind) => {
    const r = json.response;
    const response = kind === 'create'
      ? define(Object.create(AuthenticatorAttestationResponse.prototype), {
          clientDataJSON: fromBase64url(r.clientDataJSON),
          attestationObject: fromBase64url(r.attestationObject),
          getTransports() { return r.transports.slice(); },
          getAuthenticatorData() { return fromBase64url(r.authenticatorData); },
          getPublicKey() { return r.publicKey === undefined ? null : fromBase64url(r.publicKey); },
          getPublicKeyAlgorithm() { return r.publicKeyAlgorithm; },
          toJSON() { return JSON.parse(JSON.stringify(r)); },
        })
      : define(Object.create(AuthenticatorAssertionResponse.prototype), {
          clientDataJSON: fromBase64url(r.clientDataJSON),
          authenticatorData: fromBase64url(r.authenticatorData),
          signature: fromBase64url(r.signature),
          userHandle: r.userHandle === undefined ? null : fromBase64url(r.userHandle),
          toJSON() { return JSON.parse(JSON.stringify(r)); },
        });
    return define(Object.create(PublicKeyCredential.prototype), {
      id: json.id,
      rawId: fromBase64url(json.rawId),
      type: json.type,
      authenticatorAttachment: json.authenticatorAttachment === undefined ? null : json.authenticatorAttachment,
      response,
      getClientExtensionResults() { return extensionResults(json.clientExtensionResults); },
      toJSON() { return JSON.parse(JSON.stringify(json)); },
    });
  };

  // vauth answers here: { ok: json } or { error: { name, message } }. A page that calls this
  // itself can only settle its own promises.
  Object.defineProperty(globalThis, '@ANSWER@', {
    value: (call, answer) => {
      const entry = pending.get(call);
      if (!entry) return;
      pending.delete(call);
      if (answer.ok !== undefined) entry.resolve(entry.kind === 'query' ? answer.ok : credentialFrom(answer.ok, entry.kind));
      else if (answer.error.name === 'TypeError') entry.reject(new TypeError(answer.error.message));
      else entry.reject(new DOMException(answer.error.message, answer.error.name));
    },
    enumerable: false, writable: false, configurable: false,
  });

  const ask = (kind, request, signal) => new Promise((resolve, reject) => {
    const call = nextCall++;
    pending.set(call, { kind, resolve, reject });
    if (signal) {
      signal.addEventListener('abort', () => {
        if (pending.delete(call)) reject(signal.reason);
      }, { once: true });
    }
    send(JSON.stringify({ call, kind, ...request }));
  });

  const native = {
    create: CredentialsContainer.prototype.create,
    get: CredentialsContainer.prototype.get,
  };
  const replace = (target, name, implementation) => {
    Object.defineProperty(target, name, { value: implementation, writable: true, configurable: true, enumerable: false });
  };

  replace(CredentialsContainer.prototype, 'create', function create(options) {
    if (options === null || typeof options !== 'object' || options.publicKey === undefined) {
      return native.create.apply(this, arguments);
    }
    const signal = options.signal;
    if (signal && signal.aborted) return Promise.reject(signal.reason);
    let json;
    try { json = creationOptionsJSON(options.publicKey); } catch (error) { return Promise.reject(error); }
    return ask('create', { options: json, mediation: options.mediation || 'optional' }, signal);
  });

  replace(CredentialsContainer.prototype, 'get', function get(options) {
    if (options === null || typeof options !== 'object' || options.publicKey === undefined) {
      return native.get.apply(this, arguments);
    }
    const signal = options.signal;
    if (signal && signal.aborted) return Promise.reject(signal.reason);
    let json;
    try { json = requestOptionsJSON(options.publicKey); } catch (error) { return Promise.reject(error); }
    return ask('get', { options: json, mediation: options.mediation || 'optional' }, signal);
  });

  // Capabilities answer per vauth's policy, not the browser's (it has no authenticator here).
  replace(PublicKeyCredential, 'isUserVerifyingPlatformAuthenticatorAvailable',
    function isUserVerifyingPlatformAuthenticatorAvailable() {
      return ask('query', { query: 'capabilities' }).then((c) => c.userVerifyingPlatformAuthenticator);
    });
  replace(PublicKeyCredential, 'isConditionalMediationAvailable',
    function isConditionalMediationAvailable() {
      return ask('query', { query: 'capabilities' }).then((c) => c.conditionalGet);
    });
  if (typeof PublicKeyCredential.getClientCapabilities === 'function') {
    replace(PublicKeyCredential, 'getClientCapabilities', function getClientCapabilities() {
      return ask('query', { query: 'capabilities' }).then((c) => ({
        conditionalGet: c.conditionalGet,
        conditionalCreate: false,
        hybridTransport: false,
        passkeyPlatformAuthenticator: c.userVerifyingPlatformAuthenticator,
        userVerifyingPlatformAuthenticator: c.userVerifyingPlatformAuthenticator,
        relatedOrigins: false,
        signalAllAcceptedCredentials: false,
        signalCurrentUserDetails: false,
        signalUnknownCredential: false,
      }));
    });
  }
})();
"""#
}
