/*
 * hack web terminal: plain ES2017, no build step. The node's gateway serves this page, this
 * script and xterm.js (from WebJars) without a token; every API call carries the token pasted
 * into the page (Authorization: Bearer), and the shell stream, a WebSocket that a browser cannot
 * give headers to, carries it as ?token=. The stream speaks seed 001's shell protocol:
 * hello/input/resize out, ready/output/exit/error in. See docs/web-terminal.md.
 */
(function () {
  'use strict';

  const TOKEN_KEY = 'hack.gateway.token';
  const FONT_KEY = 'hack.web.fontSize';
  const LIST_POLL_MS = 5000;
  /** Reconnect delays; a connection that delivers the screen starts the sequence over. */
  const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
  /** A socket that slept longer than this with the phone may be dead while claiming to be open. */
  const STALE_AFTER_HIDDEN_MS = 5000;
  const WRITE_TOKEN_HINT = 'create one with hack gateway token-create --scope write';

  const $ = (id) => document.getElementById(id);
  const ui = {
    app: $('app'),
    views: { login: $('login'), list: $('list'), term: $('term') },
    loginForm: $('login-form'),
    tokenInput: $('token-input'),
    loginSubmit: $('login-submit'),
    loginError: $('login-error'),
    nodeName: $('node-name'),
    refresh: $('refresh'),
    scopeNote: $('scope-note'),
    listError: $('list-error'),
    newShell: $('new-shell'),
    sessions: $('sessions'),
    listEmpty: $('list-empty'),
    forget: $('forget'),
    back: $('back'),
    termTitle: $('term-title'),
    conn: $('conn'),
    connText: $('conn-text'),
    termError: $('term-error'),
    termHost: $('term-host'),
    keys: $('keys'),
    ctrl: $('key-ctrl'),
    fontDown: $('font-down'),
    fontUp: $('font-up'),
  };

  let token = '';
  let memoryToken = ''; // used when localStorage is unavailable (some private modes)
  let listTimer = 0;
  let listLoading = false;
  /** The attached session, or null on the login and list pages. */
  let current = null;

  // --- token storage ------------------------------------------------------------------------

  function loadToken() {
    try {
      return localStorage.getItem(TOKEN_KEY) || '';
    } catch (e) {
      return memoryToken;
    }
  }

  function saveToken(t) {
    memoryToken = t;
    try {
      if (t) {
        localStorage.setItem(TOKEN_KEY, t);
      } else {
        localStorage.removeItem(TOKEN_KEY);
      }
    } catch (e) {
      // storage refused (private mode, quota): the token lives in memory for this visit only
    }
  }

  /** Reads #token=... (the link a QR code carries) and removes it from the address bar. */
  function tokenFromFragment() {
    const m = /^#(?:.*&)?token=([^&]*)/.exec(location.hash);
    if (!m) {
      return '';
    }
    history.replaceState(null, '', location.pathname + location.search);
    try {
      return decodeURIComponent(m[1]).trim();
    } catch (e) {
      return m[1].trim();
    }
  }

  // --- API ----------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  /** A sentence for the user from a gateway error body ({"error": code, "message": text}). */
  function explain(status, code, message) {
    if (status === 401) {
      return 'The node refused this token: ' + (message || code) + ' (on the node: hack gateway '
        + 'token-create --scope write).';
    }
    if (code === 'write_scope_required') {
      return 'This token can only read: ' + WRITE_TOKEN_HINT + '.';
    }
    if (code === 'writes_disabled') {
      return message || 'Writes are off on this node: hack config set --global '
        + 'controlPlane.gateway.allowWrites true';
    }
    if (status === 0) {
      return message;
    }
    return message || ('The node answered HTTP ' + status + '.');
  }

  async function api(method, path, body, withToken) {
    const headers = { Authorization: 'Bearer ' + (withToken || token) };
    const init = { method: method, headers: headers, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, 'network', 'Cannot reach the node (' + e.message + ').');
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (!res.ok) {
      const code = (data && data.error) || 'http_' + res.status;
      throw new ApiError(res.status, code, explain(res.status, code, data && data.message));
    }
    return data;
  }

  /** The stream's address: same host, ws: or wss: to match the page, token in the query. */
  function streamUrl(id) {
    const u = new URL('v1/sessions/' + encodeURIComponent(id) + '/stream', location.href);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.search = '?token=' + encodeURIComponent(token);
    u.hash = '';
    return u.toString();
  }

  // --- pages --------------------------------------------------------------------------------

  function show(name) {
    Object.keys(ui.views).forEach((k) => {
      ui.views[k].hidden = k !== name;
    });
    document.body.dataset.view = name;
    if (name === 'list') {
      startListPolling();
    } else {
      stopListPolling();
    }
  }

  function setText(node, text) {
    node.textContent = text || '';
    node.hidden = !text;
  }

  function showLogin(error) {
    if (current) {
      current.detach();
      current = null;
    }
    show('login');
    setText(ui.loginError, error);
    ui.tokenInput.value = '';
  }

  /** The stored token stopped working: forget it and ask for another. */
  function tokenRejected(message) {
    token = '';
    saveToken('');
    if (location.hash) {
      history.replaceState(null, '', location.pathname + location.search);
    }
    showLogin(message);
  }

  async function tryToken(candidate) {
    const t = (candidate || '').trim();
    if (!t) {
      setText(ui.loginError, 'Paste a token first.');
      return;
    }
    ui.loginSubmit.disabled = true;
    setText(ui.loginError, '');
    try {
      await api('GET', 'v1/sessions', undefined, t);
    } catch (e) {
      if (ui.views.login.hidden) {
        showLogin('');
      }
      setText(ui.loginError, e.message);
      return;
    } finally {
      ui.loginSubmit.disabled = false;
    }
    token = t;
    saveToken(t);
    ui.tokenInput.value = '';
    openList();
    checkWriteAccess();
  }

  // --- session list -------------------------------------------------------------------------

  function openList() {
    show('list');
    loadSessions();
    loadNodeName();
  }

  function startListPolling() {
    stopListPolling();
    listTimer = setInterval(() => {
      if (!document.hidden) {
        loadSessions();
      }
    }, LIST_POLL_MS);
  }

  function stopListPolling() {
    if (listTimer) {
      clearInterval(listTimer);
      listTimer = 0;
    }
  }

  async function loadNodeName() {
    try {
      const s = await api('GET', 'v1/node/status');
      if (s && s.name) {
        ui.nodeName.textContent = s.name;
        document.title = s.name + ' · hack';
      }
    } catch (e) {
      // the title is a nicety; the list shows any real error
    }
  }

  /**
   * Asks whether this token may open streams without opening one: the stream path without an
   * upgrade answers 426 to a write token and 403 (with the reason) to anything less.
   */
  async function checkWriteAccess() {
    try {
      await api('GET', 'v1/sessions/-/stream');
      setText(ui.scopeNote, '');
    } catch (e) {
      if (e.status === 403) {
        setText(ui.scopeNote, e.message);
      } else {
        setText(ui.scopeNote, '');
      }
    }
  }

  async function loadSessions() {
    if (listLoading || !token) {
      return;
    }
    listLoading = true;
    ui.refresh.disabled = true;
    try {
      const data = await api('GET', 'v1/sessions');
      setText(ui.listError, '');
      renderSessions((data && data.sessions) || []);
    } catch (e) {
      if (e.status === 401) {
        tokenRejected(e.message);
        return;
      }
      setText(ui.listError, e.message);
    } finally {
      listLoading = false;
      ui.refresh.disabled = false;
    }
  }

  function describe(s) {
    const parts = [];
    if (s.command && s.command.length) {
      parts.push(s.command.join(' '));
    } else {
      parts.push(s.type || 'shell');
    }
    if (s.cwd) {
      parts.push(s.cwd);
    }
    if (s.cols && s.rows) {
      parts.push(s.cols + '\u00d7' + s.rows);
    }
    if (s.status === 'exited' && s.exit_code !== null && s.exit_code !== undefined) {
      parts.push('exit ' + s.exit_code);
    }
    return parts.join(' \u00b7 ');
  }

  function badge(text, cls) {
    const b = document.createElement('span');
    b.className = 'badge ' + cls;
    b.textContent = text;
    return b;
  }

  function renderSessions(list) {
    const order = { running: 0, lost: 1, exited: 2 };
    list.sort((a, b) => {
      const d = (order[a.status] === undefined ? 3 : order[a.status])
        - (order[b.status] === undefined ? 3 : order[b.status]);
      return d || String(b.updated_at || '').localeCompare(String(a.updated_at || ''));
    });
    const items = list.map((s) => {
      const li = document.createElement('li');
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'session';
      btn.dataset.id = s.id;
      btn.dataset.status = s.status || '';
      const row = document.createElement('span');
      row.className = 'row';
      const sid = document.createElement('span');
      sid.className = 'sid';
      sid.textContent = s.id;
      row.appendChild(sid);
      if (s.attached > 0) {
        row.appendChild(badge(s.attached + ' attached', 'attached'));
      }
      row.appendChild(badge(s.status || 'unknown', s.status || ''));
      const meta = document.createElement('span');
      meta.className = 'meta';
      meta.textContent = describe(s);
      btn.appendChild(row);
      btn.appendChild(meta);
      btn.addEventListener('click', () => attach(s.id, true));
      li.appendChild(btn);
      return li;
    });
    ui.sessions.replaceChildren(...items);
    ui.listEmpty.hidden = items.length > 0;
  }

  async function newShell() {
    ui.newShell.disabled = true;
    setText(ui.listError, '');
    try {
      const data = await api('POST', 'v1/sessions', {});
      attach(data.session.id, true);
    } catch (e) {
      if (e.status === 401) {
        tokenRejected(e.message);
        return;
      }
      setText(ui.listError, e.message);
    } finally {
      ui.newShell.disabled = false;
    }
  }

  // --- terminal -----------------------------------------------------------------------------

  function fontSize() {
    let n = 0;
    try {
      n = parseInt(localStorage.getItem(FONT_KEY), 10);
    } catch (e) {
      n = 0;
    }
    if (n >= 8 && n <= 32) {
      return n;
    }
    return window.innerWidth < 500 ? 13 : 15;
  }

  /** What Ctrl+key sends for a single typed character (xterm's mapping), or the data unchanged. */
  function withCtrl(data) {
    if (data.length !== 1) {
      return data;
    }
    const c = data.charCodeAt(0);
    if (c >= 0x61 && c <= 0x7a) {
      return String.fromCharCode(c - 0x60); // a-z
    }
    if (c >= 0x40 && c <= 0x5f) {
      return String.fromCharCode(c - 0x40); // @ A-Z [ \ ] ^ _
    }
    const special = { ' ': '\x00', '2': '\x00', '3': '\x1b', '4': '\x1c', '5': '\x1d',
      '6': '\x1e', '7': '\x1f', '/': '\x1f', '8': '\x7f', '?': '\x7f' };
    return special[data] === undefined ? data : special[data];
  }

  /**
   * One attached session: an xterm.js terminal and the WebSocket behind it, reconnecting with
   * backoff until the session exits or the user goes back to the list.
   */
  class Attachment {
    constructor(id) {
      this.id = id;
      this.ws = null;
      this.opened = false; // the current socket opened
      this.painted = false; // the current socket delivered its first output (the screen)
      this.attempt = 0;
      this.failedOpens = 0;
      this.retryTimer = 0;
      this.countdown = 0;
      this.ended = false;
      this.detached = false;
      this.ctrl = false;
      this.hiddenAt = 0;
      this.errorTimer = 0;
      this.fitTimer = 0;

      ui.termHost.replaceChildren();
      this.term = new window.Terminal({
        fontSize: fontSize(),
        fontFamily: 'ui-monospace, Menlo, "SF Mono", "DejaVu Sans Mono", "Liberation Mono", monospace',
        cursorBlink: true,
        scrollback: 5000,
        macOptionIsMeta: true,
        theme: { background: '#000000', foreground: '#e6e8eb', cursor: '#4fa3ff' },
      });
      this.fit = new window.FitAddon.FitAddon();
      this.term.loadAddon(this.fit);
      this.term.open(ui.termHost);
      this.subscriptions = [
        this.term.onData((d) => this.typed(d)),
        this.term.onResize((size) => this.send({ type: 'resize', cols: size.cols, rows: size.rows })),
        this.term.onTitleChange((t) => {
          document.title = (t || this.id) + ' \u00b7 hack';
        }),
      ];
      // for tests and the curious: the xterm.js Terminal of the attached session
      window.hackTerm = this.term;
      this.fitNow();
    }

    /** Fits the terminal to its box; a changed size goes to the node through onResize. */
    fitNow() {
      if (this.detached || ui.views.term.hidden) {
        return;
      }
      const dims = this.fit.proposeDimensions();
      if (!dims || !isFinite(dims.cols) || !isFinite(dims.rows) || dims.cols < 2 || dims.rows < 1) {
        return;
      }
      this.fit.fit();
    }

    fitSoon() {
      clearTimeout(this.fitTimer);
      this.fitTimer = setTimeout(() => requestAnimationFrame(() => this.fitNow()), 60);
    }

    state(name, text) {
      ui.conn.dataset.state = name;
      ui.connText.textContent = text;
    }

    connect() {
      if (this.detached || this.ended) {
        return;
      }
      this.clearRetry();
      this.dropSocket();
      this.fitNow();
      this.state('connecting', this.attempt ? 'reconnecting\u2026' : 'connecting\u2026');
      const ws = new WebSocket(streamUrl(this.id));
      this.ws = ws;
      this.opened = false;
      this.painted = false;
      ws.onopen = () => {
        if (ws !== this.ws) {
          return;
        }
        this.opened = true;
        this.failedOpens = 0;
        this.state('connected', 'connected');
        this.send({ type: 'hello', cols: this.term.cols, rows: this.term.rows });
      };
      ws.onmessage = (ev) => {
        if (ws === this.ws) {
          this.message(ev.data);
        }
      };
      ws.onclose = (ev) => {
        if (ws === this.ws) {
          this.ws = null;
          this.lost(ev);
        }
      };
    }

    message(raw) {
      let m;
      try {
        m = JSON.parse(raw);
      } catch (e) {
        return;
      }
      switch (m.type) {
        case 'ready':
          this.attempt = 0;
          if (m.status && m.status !== 'running') {
            this.state('ended', m.status);
          }
          break;
        case 'output':
          if (!this.painted) {
            // the node paints the current screen first: start from a clean terminal
            this.painted = true;
            this.attempt = 0;
            this.term.reset();
            setText(ui.termError, '');
          }
          this.term.write(m.data);
          break;
        case 'exit':
          this.end(m);
          break;
        case 'error':
          this.flash(m.message || 'the node reported an error');
          break;
        default:
          break;
      }
    }

    end(m) {
      this.ended = true;
      const code = m.exitCode === null || m.exitCode === undefined ? '' : ', exit code ' + m.exitCode;
      const signal = m.signal ? ', ' + m.signal : '';
      this.term.write('\r\n\x1b[2m[session ended' + code + signal + ']\x1b[0m\r\n');
      this.state('ended', 'ended');
      this.clearRetry();
      this.dropSocket();
    }

    lost(ev) {
      if (this.detached || this.ended) {
        return;
      }
      const wasOpen = this.opened;
      this.opened = false;
      if (!wasOpen) {
        this.failedOpens++;
        this.diagnose();
      }
      this.scheduleRetry(wasOpen ? 'connection lost' : 'cannot connect');
    }

    /**
     * A browser does not say why a WebSocket failed to open. The same path without the upgrade
     * does: 426 means the token may stream (the trouble is in between), 401/403/404 are final.
     */
    async diagnose() {
      let res;
      let body = null;
      try {
        res = await fetch('v1/sessions/' + encodeURIComponent(this.id) + '/stream', {
          headers: { Authorization: 'Bearer ' + token },
          cache: 'no-store',
          credentials: 'omit',
        });
        body = await res.json().catch(() => null);
      } catch (e) {
        return; // offline: keep retrying
      }
      if (this.detached || this.ended) {
        return;
      }
      const code = (body && body.error) || '';
      const message = explain(res.status, code, body && body.message);
      if (res.status === 401) {
        tokenRejected(message);
      } else if (res.status === 403 || res.status === 404) {
        this.fail(res.status === 404 ? 'Session ' + this.id + ' no longer exists on this node.' : message);
      } else if (res.status === 426 && this.failedOpens >= 3) {
        this.flash('The node answers but the WebSocket does not open: a proxy in front of the '
          + 'gateway may not pass WebSocket upgrades, or this page\u2019s origin is not in '
          + 'controlPlane.gateway.allowedOrigins.', true);
      }
    }

    /** Stops for good with an error the user has to act on. */
    fail(message) {
      this.clearRetry();
      this.dropSocket();
      this.ended = true;
      this.state('error', 'not connected');
      setText(ui.termError, message);
    }

    scheduleRetry(why) {
      this.clearRetry();
      const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
      const delay = Math.round(base * (0.8 + Math.random() * 0.4));
      this.attempt++;
      const at = Date.now() + delay;
      const tick = () => {
        const left = Math.max(0, Math.ceil((at - Date.now()) / 1000));
        this.state('reconnecting', why + (left ? ', retrying in ' + left + 's' : ', retrying'));
      };
      tick();
      this.countdown = setInterval(tick, 1000);
      this.retryTimer = setTimeout(() => {
        this.clearRetry();
        if (document.hidden) {
          this.state('reconnecting', why + ', waiting for the page to show');
          return; // visibilitychange reconnects; a sleeping phone would only fail here
        }
        this.connect();
      }, delay);
    }

    clearRetry() {
      clearTimeout(this.retryTimer);
      clearInterval(this.countdown);
      this.retryTimer = 0;
      this.countdown = 0;
    }

    /** The page is back (phone woke, tab shown, network up): reconnect at once if needed. */
    wake(stale) {
      if (this.detached || this.ended) {
        return;
      }
      this.fitSoon();
      const live = this.ws && this.ws.readyState === WebSocket.OPEN && !stale;
      const connecting = this.ws && this.ws.readyState === WebSocket.CONNECTING;
      if (live || connecting) {
        return;
      }
      this.attempt = 0;
      this.connect();
    }

    dropSocket() {
      const ws = this.ws;
      this.ws = null;
      this.opened = false;
      if (ws) {
        ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
        try {
          ws.close(1000, 'detach');
        } catch (e) {
          // already closing
        }
      }
    }

    send(msg) {
      const ws = this.ws;
      if (ws && this.opened && ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify(msg));
        return true;
      }
      return false;
    }

    typed(data) {
      if (this.ctrl) {
        this.setCtrl(false);
        data = withCtrl(data);
      }
      this.input(data);
    }

    input(data) {
      if (this.ended) {
        return;
      }
      if (!this.send({ type: 'input', data: data })) {
        this.flash('Not connected: that input was not sent.');
      }
    }

    setCtrl(on) {
      this.ctrl = on;
      ui.ctrl.setAttribute('aria-pressed', on ? 'true' : 'false');
    }

    /** A tap on the key bar. */
    key(button) {
      const k = button.dataset.key;
      if (k === 'ctrl') {
        this.setCtrl(!this.ctrl);
        if (this.ctrl) {
          this.term.focus(); // the next key comes from the phone's keyboard
        }
        return;
      }
      if (button.dataset.text) {
        this.typed(button.dataset.text);
        return;
      }
      const ctrl = this.ctrl;
      this.setCtrl(false);
      const arrows = { up: 'A', down: 'B', right: 'C', left: 'D' };
      if (arrows[k]) {
        let seq;
        if (ctrl) {
          seq = '\x1b[1;5' + arrows[k];
        } else {
          seq = (this.applicationCursor() ? '\x1bO' : '\x1b[') + arrows[k];
        }
        this.input(seq);
      } else if (k === 'esc') {
        this.input('\x1b');
      } else if (k === 'tab') {
        this.input('\t');
      }
    }

    /** Whether the program asked for application cursor keys (DECCKM), as vim and less do. */
    applicationCursor() {
      try {
        return !!this.term._core._coreService.decPrivateModes.applicationCursorKeys;
      } catch (e) {
        return false; // xterm.js moved its internals: normal mode works in most programs
      }
    }

    zoom(delta) {
      const n = Math.max(8, Math.min(32, this.term.getOption('fontSize') + delta));
      this.term.setOption('fontSize', n);
      try {
        localStorage.setItem(FONT_KEY, String(n));
      } catch (e) {
        // not remembered: fine
      }
      this.fitSoon();
    }

    flash(message, sticky) {
      setText(ui.termError, message);
      clearTimeout(this.errorTimer);
      if (!sticky) {
        this.errorTimer = setTimeout(() => setText(ui.termError, ''), 6000);
      }
    }

    /** Leaves the session running: closes the socket only (a "close" message would end it). */
    detach() {
      this.detached = true;
      this.clearRetry();
      clearTimeout(this.errorTimer);
      clearTimeout(this.fitTimer);
      this.dropSocket();
      this.subscriptions.forEach((s) => s.dispose());
      this.term.dispose();
      if (window.hackTerm === this.term) {
        window.hackTerm = null;
      }
      setText(ui.termError, '');
      this.setCtrl(false);
    }
  }

  function attach(id, pushHistory) {
    if (current) {
      current.detach();
    }
    if (pushHistory) {
      history.pushState({ session: id }, '', '#/s/' + encodeURIComponent(id));
    }
    show('term');
    ui.termTitle.textContent = id;
    document.title = id + ' \u00b7 hack';
    current = new Attachment(id);
    current.connect();
  }

  function detach() {
    if (current) {
      current.detach();
      current = null;
    }
    document.title = ui.nodeName.textContent && ui.nodeName.textContent !== 'sessions'
      ? ui.nodeName.textContent + ' \u00b7 hack' : 'hack';
    openList();
  }

  // --- layout: follow the visual viewport so the on-screen keyboard never covers the prompt --

  let layoutFrame = 0;

  function layout() {
    layoutFrame = 0;
    const vv = window.visualViewport;
    if (vv) {
      document.documentElement.style.setProperty('--app-height', Math.round(vv.height) + 'px');
      ui.app.style.transform = vv.offsetTop ? 'translateY(' + Math.round(vv.offsetTop) + 'px)' : '';
      document.body.classList.toggle('keyboard', window.innerHeight - vv.height > 120);
    }
    if (current) {
      current.fitSoon();
    }
  }

  function layoutSoon() {
    if (!layoutFrame) {
      layoutFrame = requestAnimationFrame(layout);
    }
  }

  // --- wiring -------------------------------------------------------------------------------

  ui.loginForm.addEventListener('submit', (e) => {
    e.preventDefault();
    tryToken(ui.tokenInput.value);
  });
  ui.refresh.addEventListener('click', () => {
    loadSessions();
    checkWriteAccess();
  });
  ui.newShell.addEventListener('click', newShell);
  ui.forget.addEventListener('click', () => {
    token = '';
    saveToken('');
    setText(ui.scopeNote, '');
    ui.sessions.replaceChildren();
    showLogin('');
  });
  ui.back.addEventListener('click', () => {
    if (history.state && history.state.session) {
      history.back(); // popstate detaches, and the phone's back gesture does the same
    } else {
      detach();
    }
  });
  ui.fontDown.addEventListener('click', () => current && current.zoom(-1));
  ui.fontUp.addEventListener('click', () => current && current.zoom(1));

  // keep the focus (and with it the phone's keyboard) in the terminal while tapping keys
  ui.keys.addEventListener('mousedown', (e) => e.preventDefault());
  ui.keys.addEventListener('click', (e) => {
    const button = e.target.closest('button');
    if (button && current) {
      current.key(button);
    }
  });

  window.addEventListener('popstate', (e) => {
    const id = e.state && e.state.session;
    if (!token) {
      return;
    }
    if (id && (!current || current.id !== id)) {
      attach(id, false);
    } else if (!id && current) {
      detach();
    }
  });

  document.addEventListener('visibilitychange', () => {
    if (!current) {
      if (!document.hidden && !ui.views.list.hidden) {
        loadSessions();
      }
      return;
    }
    if (document.hidden) {
      current.hiddenAt = Date.now();
    } else {
      current.wake(current.hiddenAt > 0 && Date.now() - current.hiddenAt > STALE_AFTER_HIDDEN_MS);
    }
  });
  window.addEventListener('online', () => current && current.wake(false));
  window.addEventListener('pageshow', (e) => {
    if (e.persisted && current) {
      current.wake(true); // restored from the back/forward cache: the old socket is gone
    }
  });
  if (window.ResizeObserver) {
    // the terminal's box changes with more than the window: error banners, the keyboard, zoom
    new ResizeObserver(() => current && current.fitSoon()).observe(ui.termHost);
  }
  window.addEventListener('resize', layoutSoon);
  window.addEventListener('orientationchange', layoutSoon);
  if (window.visualViewport) {
    window.visualViewport.addEventListener('resize', layoutSoon);
    window.visualViewport.addEventListener('scroll', layoutSoon);
  }

  /** For tests and the curious: the attached session (its term and ws), or null. */
  window.hackApp = { current: () => current };

  // --- start --------------------------------------------------------------------------------

  function start() {
    layout();
    if (!window.Terminal || !window.FitAddon) {
      show('login');
      setText(ui.loginError, 'The terminal library did not load (webjars/xterm); reload the page.');
      return;
    }
    const fromLink = tokenFromFragment();
    if (fromLink) {
      tryToken(fromLink);
      return;
    }
    token = loadToken();
    if (!token) {
      showLogin('');
      return;
    }
    const m = /^#\/s\/(.+)$/.exec(location.hash);
    openList();
    checkWriteAccess();
    if (m) {
      // reloaded while attached: put the list under the session in history, then attach
      const id = decodeURIComponent(m[1]);
      history.replaceState(null, '', location.pathname + location.search);
      attach(id, true);
    }
  }

  start();
})();
