import VauthCrypto
import VauthWebAuthn

/// The script vauth runs in every frame before the page's own scripts: one core, the same for
/// every browser, and a small adapter per transport that hands it a way to send calls and a way
/// to expose the function vauth answers through (docs/bridge.md, "The injected script").
///
/// The core routes `navigator.credentials.create/get` for `publicKey` to vauth and turns vauth's
/// answers into what the browser gives: a `PublicKeyCredential` (WebAuthn L3 §5.1) or the
/// browser's own exception. It leaves nothing a page can see or reach: no global names, the
/// replaced methods and getters print as the native code they replace, credentials have no own
/// properties (the prototypes' getters answer for them), and the transport is held in closures.
/// Nothing the page sends decides an origin: the payload carries the call's number, its kind and
/// the options; vauth takes the caller's origin from the browser.
enum InjectedScript {
    /// The page-side core: `(transport, profile) => void`, where `transport` is `{send(text),
    /// expose(answer)}` and `profile` is ``BrowserProfile/json(capabilities:limits:)``.
    static let core = #"""
(transport, profile) => {
  'use strict';
  // Insecure contexts (also the first about:blank) have no WebAuthn: leave them as they are.
  if (!globalThis.isSecureContext || typeof CredentialsContainer !== 'function' ||
      typeof PublicKeyCredential !== 'function') return;
  const G = globalThis;
  const send = transport.send;
  // The built-ins this script needs, taken before any page script can replace them.
  const PromiseC = Promise, DOMExceptionC = DOMException, TypeErrorC = TypeError, WeakMapC = WeakMap;
  const stringify = JSON.stringify, parse = JSON.parse;
  const apply = Reflect.apply, defineProperty = Object.defineProperty, describe = Object.getOwnPropertyDescriptor;
  const createObject = Object.create, keysOf = Object.keys, isArray = Array.isArray;
  const setTimer = setTimeout, clearTimer = clearTimeout;
  const abortedSignal = AbortSignal.abort.bind(AbortSignal);
  const addListener = EventTarget.prototype.addEventListener, removeListener = EventTarget.prototype.removeEventListener;
  const btoaF = btoa, atobF = atob, fromCharCode = String.fromCharCode;
  const messages = profile.messages;

  // --- replaced functions print as the natives they replace -----------------------------------
  const nativeToString = Function.prototype.toString;
  const disguises = new WeakMapC();
  const toString = new Proxy(nativeToString, {
    apply(target, self, args) {
      const text = disguises.get(self);
      return text !== undefined ? text : apply(target, self, args);
    },
  });
  // Keeps the original's attributes; the new function prints as the original did.
  const replace = (target, name, replacement, accessor) => {
    const original = describe(target, name);
    if (!original || (accessor ? typeof original.get !== 'function' : typeof original.value !== 'function')) return undefined;
    const native = accessor ? original.get : original.value;
    disguises.set(replacement, apply(nativeToString, native, []));
    const descriptor = { enumerable: original.enumerable, configurable: original.configurable };
    if (accessor) { descriptor.get = replacement; descriptor.set = original.set; } else { descriptor.value = replacement; descriptor.writable = original.writable; }
    defineProperty(target, name, descriptor);
    return native;
  };
  replace(Function.prototype, 'toString', toString, false);

  // --- base64url <-> ArrayBuffer ------------------------------------------------------------
  const toBase64url = (bytes) => {
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += apply(fromCharCode, null, bytes.subarray(i, i + 0x8000));
    return btoaF(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const fromBase64url = (text) => {
    const binary = atobF(text.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  };

  // --- the options in their JSON form (L3 §5.1.9 in reverse) ----------------------------------
  // The browser has already converted them (the probe below), so they are well-typed here.
  const isBufferSource = (value) => value instanceof ArrayBuffer || ArrayBuffer.isView(value) ||
    (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer);
  const bytesOf = (value) => ArrayBuffer.isView(value)
    ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(value);
  const jsonForm = (value) => {
    if (isBufferSource(value)) return toBase64url(bytesOf(value));
    if (isArray(value)) return value.map(jsonForm);
    if (value !== null && typeof value === 'object') {
      const out = {};
      for (const key of keysOf(value)) if (value[key] !== undefined) out[key] = jsonForm(value[key]);
      return out;
    }
    return value;
  };

  // --- what the page receives: objects of the browser's classes with no own properties --------
  // The prototypes' getters and methods are replaced by ones that answer for these objects and
  // call the browser's own for every other object, as before.
  const slots = new WeakMapC();
  const answering = (proto, names, accessor) => {
    for (const name of names) {
      let native;
      const replacement = accessor
        ? describe({ get [name]() { const slot = slots.get(this); return slot && name in slot ? slot[name] : apply(native, this, []); } }, name).get
        : ({ [name]() { const slot = slots.get(this); return slot && name in slot ? slot[name]() : apply(native, this, arguments); } })[name];
      native = replace(proto, name, replacement, accessor);
    }
  };
  answering(Credential.prototype, ['id', 'type'], true);
  answering(PublicKeyCredential.prototype, ['rawId', 'response', 'authenticatorAttachment'], true);
  answering(PublicKeyCredential.prototype, ['getClientExtensionResults', 'toJSON'], false);
  answering(AuthenticatorResponse.prototype, ['clientDataJSON'], true);
  answering(AuthenticatorAttestationResponse.prototype, ['attestationObject'], true);
  answering(AuthenticatorAttestationResponse.prototype, ['getTransports', 'getAuthenticatorData', 'getPublicKey', 'getPublicKeyAlgorithm'], false);
  answering(AuthenticatorAssertionResponse.prototype, ['authenticatorData', 'signature', 'userHandle'], true);

  const extensionResults = (json) => {
    const results = parse(stringify(json || {}));
    const prf = results.prf && results.prf.results;
    if (prf) for (const key of ['first', 'second']) if (typeof prf[key] === 'string') prf[key] = fromBase64url(prf[key]);
    return results;
  };
  const credentialFrom = (json, kind) => {
    const r = json.response;
    const response = createObject((kind === 'create' ? AuthenticatorAttestationResponse : AuthenticatorAssertionResponse).prototype);
    const clientDataJSON = fromBase64url(r.clientDataJSON);
    if (kind === 'create') {
      slots.set(response, {
        clientDataJSON, attestationObject: fromBase64url(r.attestationObject),
        getTransports: () => r.transports.slice(),
        getAuthenticatorData: () => fromBase64url(r.authenticatorData),
        getPublicKey: () => (r.publicKey === undefined ? null : fromBase64url(r.publicKey)),
        getPublicKeyAlgorithm: () => r.publicKeyAlgorithm,
      });
    } else {
      slots.set(response, {
        clientDataJSON, authenticatorData: fromBase64url(r.authenticatorData), signature: fromBase64url(r.signature),
        userHandle: r.userHandle === undefined ? null : fromBase64url(r.userHandle),
      });
    }
    const credential = createObject(PublicKeyCredential.prototype);
    slots.set(credential, {
      id: json.id, type: json.type, rawId: fromBase64url(json.rawId), response,
      authenticatorAttachment: json.authenticatorAttachment === undefined ? null : json.authenticatorAttachment,
      getClientExtensionResults: () => extensionResults(json.clientExtensionResults),
      toJSON: () => parse(stringify(json)),
    });
    return credential;
  };

  // --- requests ---------------------------------------------------------------------------------
  // A frame has one request at a time, as in the browser (profile.concurrency says what happens
  // to a second). Every request settles: vauth's answer, the page's signal, or the timer (the
  // options' timeout, else the browser's default), whichever comes first; a conditional request
  // has no timer (it waits for the user, L3 §5.1.4.1) and ends with its signal.
  const domException = (name) => new DOMExceptionC(messages[name] !== undefined ? messages[name] : messages.NotAllowedError, name);
  let pending = null;
  let nextCall = 1;
  const tell = (message) => { try { send(stringify(message)); } catch (error) { /* vauth is gone: the timer settles it */ } };
  const finish = (entry) => {
    if (pending === entry) pending = null;
    if (entry.timer !== undefined) clearTimer(entry.timer);
    if (entry.signal) apply(removeListener, entry.signal, ['abort', entry.onAbort]);
  };
  // Ends a request vauth has not answered, and tells vauth to drop it.
  const end = (entry, error) => {
    if (pending !== entry) return;
    finish(entry);
    entry.reject(error);
    tell({ call: entry.call, cancel: true });
  };

  const start = (kind, options, resolve, reject) => {
    const publicKey = options.publicKey;
    const signal = options.signal;
    if (signal && signal.aborted) { reject(signal.reason); return; }
    const conditional = kind === 'get' && options.mediation === 'conditional';
    if (pending) {
      if (profile.concurrency === 'abort-pending') end(pending, domException('AbortError'));
      else if (pending.conditional && !conditional) end(pending, domException('NotAllowedError'));
      else { reject(domException('OperationError')); return; }
    }
    const entry = { call: nextCall++, kind, conditional, resolve, reject, signal };
    const text = stringify({ call: entry.call, kind, mediation: conditional ? 'conditional' : 'optional', options: jsonForm(publicKey) });
    pending = entry;
    if (signal) {
      entry.onAbort = () => end(entry, signal.reason);
      apply(addListener, signal, ['abort', entry.onAbort]);
    }
    if (!conditional) {
      const timeout = typeof publicKey.timeout === 'number' ? publicKey.timeout : profile.defaultTimeout;
      entry.timer = setTimer(() => end(entry, domException('NotAllowedError')), Math.min(timeout, 0x7fffffff));
    }
    if (text.length > profile.maxCallLength) tell({ call: entry.call, kind, oversize: text.length });
    else { try { send(text); } catch (error) { /* vauth is gone: the timer settles it */ } }
  };

  // The browser converts and checks the options itself (WebIDL, L3 §5.1.3 / §5.1.4.1 up to the
  // abort check): its own method, given an already aborted signal, stops with AbortError when
  // they are valid and with its own TypeError when they are not.
  const request = (self, kind, options, native) => new PromiseC((resolve, reject) => {
    let probe;
    try {
      probe = apply(native, self, [{ publicKey: options.publicKey, mediation: options.mediation, signal: abortedSignal() }]);
    } catch (error) { reject(error); return; }
    probe.then(() => reject(domException('NotAllowedError')), (error) => {
      if (!(error instanceof DOMExceptionC) || error.name !== 'AbortError') { reject(error); return; }
      try { start(kind, options, resolve, reject); } catch (error2) { reject(domException('NotAllowedError')); }
    });
  });

  // vauth answers through this (the transport makes it reachable to vauth only): a claim asks
  // whether the call still waits, `ok` resolves it, `error` (a name and the browser's message
  // for it) rejects it. It returns whether the
  // call was still waiting, so vauth keeps a new credential only when the page received it.
  const answer = (call, text) => {
    const entry = pending;
    if (typeof call !== 'number' || typeof text !== 'string' || !entry || entry.call !== call) return false;
    const message = parse(text);
    if (message.claim) return true;
    finish(entry);
    if (message.ok !== undefined) entry.resolve(credentialFrom(message.ok, entry.kind));
    else if (message.error === 'TypeError') entry.reject(new TypeErrorC(message.message));
    else entry.reject(new DOMExceptionC(message.message, message.error));
    return true;
  };
  transport.expose(answer);

  const container = CredentialsContainer.prototype;
  const nativeCreate = container.create, nativeGet = container.get;
  const routed = (options) => options !== null && typeof options === 'object' && options.publicKey !== undefined;
  replace(container, 'create', ({ create() {
    const options = arguments[0];
    return routed(options) ? request(this, 'create', options, nativeCreate) : apply(nativeCreate, this, arguments);
  } }).create, false);
  replace(container, 'get', ({ get() {
    const options = arguments[0];
    return routed(options) ? request(this, 'get', options, nativeGet) : apply(nativeGet, this, arguments);
  } }).get, false);

  // Capabilities follow vauth's policy, not the browser's (which has no authenticator here).
  replace(PublicKeyCredential, 'isUserVerifyingPlatformAuthenticatorAvailable',
    ({ isUserVerifyingPlatformAuthenticatorAvailable() { return PromiseC.resolve(profile.uvpaa); } }).isUserVerifyingPlatformAuthenticatorAvailable, false);
  replace(PublicKeyCredential, 'isConditionalMediationAvailable',
    ({ isConditionalMediationAvailable() { return PromiseC.resolve(profile.conditional); } }).isConditionalMediationAvailable, false);
  replace(PublicKeyCredential, 'getClientCapabilities', ({ getClientCapabilities() {
    return PromiseC.resolve({
      conditionalCreate: false, conditionalGet: profile.conditional, hybridTransport: false,
      passkeyPlatformAuthenticator: profile.uvpaa, relatedOrigins: false, signalAllAcceptedCredentials: false,
      signalCurrentUserDetails: false, signalUnknownCredential: false, userVerifyingPlatformAuthenticator: profile.uvpaa,
    });
  } }).getClientCapabilities, false);
}
"""#

    /// The Chrome DevTools Protocol adapter, for `Page.addScriptToEvaluateOnNewDocument`: calls go
    /// through the `Runtime.addBinding` function, which the script takes and deletes from the
    /// global object before anything else runs (also in insecure contexts); the answer function
    /// becomes a listener on the window for an event type only vauth knows, where vauth finds it
    /// with `DOMDebugger.getEventListeners` (no page API lists listeners).
    static func devTools(binding: String, listenerType: String, profile: JSONValue) -> String {
        """
        (() => {
          const send = globalThis[\(quoted(binding))];
          if (typeof send !== 'function') return;
          delete globalThis[\(quoted(binding))];
          const addListener = EventTarget.prototype.addEventListener;
          (\(core))({
            send: (text) => send(text),
            expose: (answer) => Reflect.apply(addListener, globalThis, [\(quoted(listenerType)), answer]),
          }, \(JSONSerializer.serialize(profile, style: .compact)));
        })();
        """
    }

    /// The WebDriver BiDi adapter, for `script.addPreloadScript` (and `script.callFunction` in the
    /// realms open at the start) with one `channel` argument: calls are strings on the channel, and
    /// the answer function is sent once on it, where vauth receives it as a remote-object handle.
    static func webDriverBiDi(profile: JSONValue) -> String {
        """
        (channel) => (\(core))({ send: (text) => channel(text), expose: (answer) => channel(answer) },
          \(JSONSerializer.serialize(profile, style: .compact)))
        """
    }

    /// A name only this run knows (a binding, an event type, a channel): 128 random bits.
    static func randomName() throws -> String {
        "v" + (try SecureRandom.bytes(16)).map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
    }

    /// `text` as a JavaScript string literal.
    static func quoted(_ text: String) -> String { JSONSerializer.serialize(.string(text), style: .compact) }
}
