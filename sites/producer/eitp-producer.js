/*!
 * EITP v1.1 Level 2 producer (browser).  Plain ES2020, no build step.
 *
 * Reads window.EITP_CONFIG (see DEFAULTS below for its shape), runs the eight tracker modules of
 * spec section 3 plus the proximity engine (3.5) and page content extraction (3.10), sanitizes
 * every string (3.9 / 10.1) and ships batches (4.3) over a WebSocket speaking NATS text protocol
 * (4.1), falling back to HTTP POST after the reconnect attempts are exhausted (4.4).
 *
 * Public API: window.EITP = { sessionId, tenantId, track(type, data), flush(reason), stats(), config }
 *
 * Time: every timestamp and every delta is Date.now() based and every timer is a
 * setTimeout/setInterval, so a fake clock (e.g. Playwright's page.clock) drives everything.
 *
 * Documented choices (where the spec leaves room):
 *  - mouse_pause is emitted ONCE per pause, when the pause ENDS (cursor speed back above
 *    microMovementPxS, cursor leaves the document or the tab is hidden) with the full duration,
 *    or, if the cursor is still resting when the pause reaches signal.inactivityMs, at that moment
 *    (duration = time paused so far, `inactive: true`).  A pause needs duration > dwellMs.
 *  - direction_changes: over the last 10 mouse samples, consecutive path segments of at least
 *    zigzagMinMovePx are quantized to 8 octants; > zigzagChanges octant changes in the window fire
 *    the event; zigzagDebounceMs is the minimum time between two emissions.
 *  - circular_motion: emitted at most once per 10 fresh samples (windows do not overlap).  Besides
 *    the spec's circularity/radius thresholds the path must turn one way round the centroid (>= 80%
 *    of the steps in the same angular direction), sweep >= 180 degrees and touch >= 4 of 8 octants:
 *    a straight back-and-forth shake otherwise scores a perfect 1.0.
 *  - Price pattern (selection + price parsing): /\$\d{1,3}(,\d{3})*(\.\d{2})?/ ; "$59,995" -> 59995.
 *  - PII: the spec regexes, applied in the order email, credit card, SSN, phone, zip (cards and
 *    SSNs before phones and zips so that no fragment of them survives); additionally a
 *    "(509) 555-0199" style phone pattern, which the spec's phone regex does not cover.
 *    Text is whitespace-collapsed and sanitized BEFORE it is truncated.
 *  - viewport_boundary fires once per boundary (top, bottom) per page view.
 *  - mouse_exit: mouseout with a null relatedTarget; angle in degrees 0..360 measured from the
 *    viewport centre, 0 = right, 90 = up (counter-clockwise); velocity from the raw pointer trail.
 *  - iframe_exit: Chromium does not send the parent a null-relatedTarget mouseout when the cursor
 *    enters an iframe, so it is detected from the mouseover whose target is the IFRAME element.
 *  - pricing_comparison: a tier card counts as visible when >= 50% of its area is in the viewport;
 *    evaluated at load, after each (debounced) scroll and resize.
 *  - {kind}_proximity is emitted (max once per second per element) only on samples where the
 *    cursor actually moved, so a resting cursor produces no stream of events.
 *  - After CONNECT the producer also sends PING; the connection counts as established at the
 *    first +OK or PONG (a real nats-server with verbose:false answers only PONG).
 */
(function () {
  'use strict';

  if (window.EITP && window.EITP.__eitpProducer) return; // loaded twice: keep the first one

  // ------------------------------------------------------------------------------------------
  // Configuration
  // ------------------------------------------------------------------------------------------
  var DEFAULTS = {
    tenantId: 'org_workbench',
    vertical: 'rv_dealer',
    bridgeUrl: null,
    postUrl: '/bridge/batch',
    sessionId: null,
    signal: {
      samplingHz: 20, historySize: 100, microMovementPxS: 20, dwellMs: 500, circularity: 0.85,
      circleMinRadiusPx: 20, zigzagChanges: 6, zigzagMinMovePx: 30, zigzagDebounceMs: 300,
      rageClicks: 3, rageWindowMs: 500, scrollDebounceMs: 100, gridCellPx: 160, enterRadiusPx: 140,
      spatialHysteresisPx: 12, timeHysteresisMs: 600, pricingComparisonCooldownMs: 5000,
      viewportBoundaryPx: 100, boundaryEdgePx: 50, exitVelocityPxS: 400, resizeDebounceMs: 250,
      longAbsenceMs: 30000, fieldAbandonmentMs: 2000, inactivityMs: 5000, contentCacheMs: 5000
    },
    transport: {
      batchSize: 50, flushIntervalMs: 3000, priorityFlush: 40, maxBuffer: 500, reconnectBaseMs: 1000,
      reconnectMaxMs: 30000, reconnectMaxAttempts: 5, keepaliveMs: 30000, maxMessageBytes: 50000
    }
  };

  function isSet(v) { return v !== undefined && v !== null; }

  function mergeSection(def, user) {
    var out = {};
    var k;
    for (k in def) out[k] = def[k];
    if (user && typeof user === 'object') {
      for (k in user) if (isSet(user[k])) out[k] = user[k];
    }
    return out;
  }

  var userCfg = (window.EITP_CONFIG && typeof window.EITP_CONFIG === 'object') ? window.EITP_CONFIG : {};
  var config = {};
  (function buildConfig() {
    var k;
    for (k in DEFAULTS) config[k] = DEFAULTS[k];
    for (k in userCfg) {
      if (k === 'signal' || k === 'transport') continue;
      if (isSet(userCfg[k])) config[k] = userCfg[k];
    }
    config.signal = mergeSection(DEFAULTS.signal, userCfg.signal);
    config.transport = mergeSection(DEFAULTS.transport, userCfg.transport);
  })();
  var S = config.signal;
  var T = config.transport;

  function now() { return Date.now(); }

  // ------------------------------------------------------------------------------------------
  // Identity
  // ------------------------------------------------------------------------------------------
  var STORAGE_KEY = 'eitp_session_id';

  function randomBase36(n) {
    var s = '';
    while (s.length < n) s += Math.random().toString(36).slice(2);
    return s.slice(0, n);
  }

  function queryParam(name) {
    try { return new URLSearchParams(window.location.search).get(name); } catch (e) { return null; }
  }

  function resolveSessionId() {
    var id = queryParam('eitp_session');
    if (id) return id;
    if (config.sessionId) return String(config.sessionId);
    try {
      id = window.sessionStorage.getItem(STORAGE_KEY);
      if (id) return id;
    } catch (e) { /* storage may be blocked */ }
    id = 'sq_' + now() + '_' + randomBase36(9);
    try { window.sessionStorage.setItem(STORAGE_KEY, id); } catch (e) { /* ignore */ }
    return id;
  }

  var sessionId = resolveSessionId();
  var tenantId = queryParam('eitp_tenant') || String(config.tenantId);
  config.sessionId = sessionId;
  config.tenantId = tenantId;
  var sessionStart = now();

  // ------------------------------------------------------------------------------------------
  // PII sanitization (3.9 / 10.1)
  // ------------------------------------------------------------------------------------------
  var REDACTED = '[REDACTED]';
  var PII_PATTERNS = [
    /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Z|a-z]{2,}/g, // email
    /(\d{4}[\s-]?){3}\d{4}/g,                              // credit card
    /\d{3}-\d{2}-\d{4}/g,                                  // SSN
    /\(\d{3}\)\s?\d{3}[-.\s]?\d{4}/g,                      // phone "(509) 555-0199" (extension)
    /\d{3}[-.]?\d{3}[-.]?\d{4}/g,                          // phone
    /\d{5}(-\d{4})?/g                                      // zip code
  ];

  function sanitizeString(s) {
    var out = String(s);
    for (var i = 0; i < PII_PATTERNS.length; i++) {
      PII_PATTERNS[i].lastIndex = 0;
      out = out.replace(PII_PATTERNS[i], REDACTED);
    }
    return out;
  }

  function sanitizeDeep(v, depth) {
    depth = depth || 0;
    if (depth > 12) return null;
    if (typeof v === 'string') return sanitizeString(v);
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'number' && !isFinite(v)) return 0;
      return (typeof v === 'function' || typeof v === 'undefined') ? null : v;
    }
    if (Array.isArray(v)) return v.map(function (x) { return sanitizeDeep(x, depth + 1); });
    if (v instanceof Date) return v.getTime();
    var proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return sanitizeString(String(v)); // DOM nodes etc.
    var out = {};
    for (var k in v) {
      if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
      if (typeof v[k] === 'undefined' || typeof v[k] === 'function') continue;
      out[k] = sanitizeDeep(v[k], depth + 1);
    }
    return out;
  }

  function collapse(s) { return String(s == null ? '' : s).replace(/\s+/g, ' ').trim(); }
  // Collapse whitespace, sanitize the whole string, THEN truncate (no PII fragment survives a cut).
  function clip(s, n) { return sanitizeString(collapse(s)).slice(0, n); }

  var PRICE_RE = /\$\d{1,3}(,\d{3})*(\.\d{2})?/;
  function parsePrice(str) {
    var m = PRICE_RE.exec(String(str || ''));
    if (!m) return null;
    return { text: m[0], value: parseFloat(m[0].replace(/[$,]/g, '')) };
  }

  // ------------------------------------------------------------------------------------------
  // Small helpers
  // ------------------------------------------------------------------------------------------
  function r1(n) { return Math.round(n * 10) / 10; }
  function ri(n) { return Math.round(n) || 0; } // no -0
  function r2(n) { return Math.round(n * 100) / 100; }
  function vw() { return window.innerWidth || document.documentElement.clientWidth || 0; }
  function vh() { return window.innerHeight || document.documentElement.clientHeight || 0; }
  function scrollTopPx() { return window.scrollY || window.pageYOffset || document.documentElement.scrollTop || 0; }
  function scrollLeftPx() { return window.scrollX || window.pageXOffset || document.documentElement.scrollLeft || 0; }
  function docHeight() {
    var b = document.body, d = document.documentElement;
    return Math.max(b ? b.scrollHeight : 0, d ? d.scrollHeight : 0);
  }
  function maxScroll() { return Math.max(0, docHeight() - vh()); }
  function scrollDepth() {
    var m = maxScroll();
    if (m <= 0) return 100;
    return Math.max(0, Math.min(100, ri(scrollTopPx() / m * 100)));
  }
  function elementText(el) {
    if (!el) return '';
    var tag = el.tagName;
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || tag === 'OPTION') return ''; // never values
    return el.textContent || '';
  }
  function classOf(el) {
    if (!el || !el.getAttribute) return '';
    return el.getAttribute('class') || '';
  }
  function isFormField(el) {
    return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT');
  }

  // ------------------------------------------------------------------------------------------
  // Stats
  // ------------------------------------------------------------------------------------------
  var stats = {
    events: {}, totalEvents: 0, batchesSent: 0, eventsSent: 0, bytesSent: 0, drops: 0,
    oversizeDrops: 0, errors: 0, lastError: null, interventions: 0, reconnects: 0,
    reconnectAttempt: 0, connection: 'idle', transport: 'ws', httpBatches: 0, httpErrors: 0,
    beacons: 0, pingsSent: 0, pongsReceived: 0, lastFlushReason: null
  };

  // ------------------------------------------------------------------------------------------
  // currentSection
  // ------------------------------------------------------------------------------------------
  var sectionCache = { key: null, value: 'page' };
  function computeSection() {
    var mid = vh() / 2;
    var sections = document.querySelectorAll('section[id]');
    var containing = null, above = null, aboveTop = -Infinity;
    for (var i = 0; i < sections.length; i++) {
      var r = sections[i].getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.top <= mid && r.bottom > mid) containing = sections[i]; // last (innermost) wins
      else if (r.top <= mid && r.top > aboveTop) { above = sections[i]; aboveTop = r.top; }
    }
    var el = containing || above;
    return el ? el.id : 'page';
  }
  function currentSection() {
    // Cached per (scroll position, viewport size, 250 ms bucket): cheap at 20 Hz.
    var key = scrollTopPx() + ':' + vw() + 'x' + vh() + ':' + Math.floor(now() / 250);
    if (sectionCache.key !== key) {
      sectionCache.key = key;
      try { sectionCache.value = computeSection(); } catch (e) { sectionCache.value = 'page'; }
    }
    return sectionCache.value;
  }

  // ------------------------------------------------------------------------------------------
  // Event buffer + track()
  // ------------------------------------------------------------------------------------------
  var buffer = [];
  var priorityInBuffer = 0;

  function isPriority(type) {
    return type === 'click' || type === 'rage_click' || type === 'form_submit' ||
      type === 'text_selection_with_price' || type === 'viewport_approach' || type === 'mouse_pause' ||
      type.indexOf('_proximity') !== -1 || /_hover$/.test(type);
  }

  function track(type, data) {
    if (typeof type !== 'string' || !type) return null;
    type = sanitizeString(type);
    var ev = {
      type: type,
      data: sanitizeDeep(data && typeof data === 'object' ? data : (data === undefined ? {} : { value: data })),
      timestamp: now(),
      currentSection: sanitizeString(currentSection())
    };
    ev._priority = isPriority(type);
    while (buffer.length >= T.maxBuffer && buffer.length) {
      var dropped = buffer.shift();
      if (dropped._priority) priorityInBuffer--;
      stats.drops++;
    }
    buffer.push(ev);
    if (ev._priority) priorityInBuffer++;
    stats.events[type] = (stats.events[type] || 0) + 1;
    stats.totalEvents++;
    if (buffer.length >= T.batchSize) flush('batch_size');
    else if (priorityInBuffer > 0 && buffer.length >= T.priorityFlush) flush('priority');
    return ev;
  }

  // ------------------------------------------------------------------------------------------
  // 3.10 Page content extraction
  // ------------------------------------------------------------------------------------------
  var STRUCT_TYPES = ['Product', 'Vehicle', 'Offer', 'ItemList', 'FAQPage'];

  function ldTypeOf(o) {
    var t = o && o['@type'];
    if (Array.isArray(t)) {
      for (var i = 0; i < t.length; i++) if (STRUCT_TYPES.indexOf(t[i]) !== -1) return t[i];
      return null;
    }
    return STRUCT_TYPES.indexOf(t) !== -1 ? t : null;
  }
  function nameOf(v) {
    if (v == null) return null;
    if (typeof v === 'string') return v;
    if (typeof v === 'object' && typeof v.name === 'string') return v.name;
    return null;
  }
  function formatPrice(price, currency) {
    if (price == null || price === '') return null;
    var n = typeof price === 'number' ? price : parseFloat(String(price).replace(/[^0-9.]/g, ''));
    if (!isFinite(n)) return String(price);
    var sym = (!currency || currency === 'USD') ? '$' : '';
    var txt = n.toLocaleString('en-US', { minimumFractionDigits: n % 1 ? 2 : 0, maximumFractionDigits: 2 });
    return sym ? sym + txt : txt + ' ' + currency;
  }
  function firstOffer(o) {
    var off = o && o.offers;
    if (Array.isArray(off)) off = off[0];
    return off && typeof off === 'object' ? off : null;
  }
  function summarizeLd(o, type) {
    var out = { type: type, name: nameOf(o.name) || null };
    var off = type === 'Offer' ? o : firstOffer(o);
    if (off) {
      var p = isSet(off.price) ? off.price : (off.lowPrice || null);
      out.price = formatPrice(p, off.priceCurrency);
      out.priceValue = isSet(p) ? (parseFloat(p) || null) : null;
      out.priceCurrency = off.priceCurrency || null;
      if (off.availability) out.availability = String(off.availability).replace(/^https?:\/\/schema\.org\//, '');
    }
    if (type === 'Vehicle' || type === 'Product') {
      if (o.brand) out.brand = nameOf(o.brand);
      if (o.model) out.model = nameOf(o.model);
      if (o.vehicleModelDate) out.vehicleModelDate = String(o.vehicleModelDate);
      if (o.manufacturer) out.manufacturer = nameOf(o.manufacturer);
      if (o.bodyType) out.bodyType = String(o.bodyType);
      if (o.sku) out.sku = String(o.sku);
      if (typeof o.description === 'string') out.description = o.description.slice(0, 200);
    }
    if (type === 'ItemList') {
      var items = Array.isArray(o.itemListElement) ? o.itemListElement : [];
      out.items = items.slice(0, 10).map(function (it) {
        return nameOf(it) || nameOf(it && it.item) || null;
      });
    }
    if (type === 'FAQPage') {
      var qs = Array.isArray(o.mainEntity) ? o.mainEntity : (o.mainEntity ? [o.mainEntity] : []);
      out.questions = qs.slice(0, 8).map(function (q) {
        var a = q && q.acceptedAnswer;
        if (Array.isArray(a)) a = a[0];
        return { q: collapse(nameOf(q) || '').slice(0, 160), a: collapse((a && a.text) || '').slice(0, 200) };
      });
    }
    return out;
  }
  function extractStructuredData() {
    var out = [];
    var scripts = document.querySelectorAll('script[type="application/ld+json"]');
    function visit(o, depth) {
      if (!o || typeof o !== 'object' || depth > 4 || out.length >= 10) return;
      if (Array.isArray(o)) { o.forEach(function (x) { visit(x, depth + 1); }); return; }
      var t = ldTypeOf(o);
      if (t) out.push(summarizeLd(o, t));
      if (Array.isArray(o['@graph'])) visit(o['@graph'], depth + 1);
    }
    for (var i = 0; i < scripts.length; i++) {
      try { visit(JSON.parse(scripts[i].textContent || 'null'), 0); } catch (e) { /* bad JSON-LD */ }
    }
    return out;
  }
  function extractTables() {
    var out = [];
    var tables = document.querySelectorAll('table');
    for (var i = 0; i < tables.length && out.length < 3; i++) {
      var t = tables[i];
      var headers = [];
      var headRow = t.querySelector('thead tr') || null;
      if (headRow) {
        headers = Array.prototype.map.call(headRow.querySelectorAll('th,td'), function (c) { return collapse(c.textContent).slice(0, 80); });
      }
      var rows = [];
      var trs = t.querySelectorAll('tr');
      for (var j = 0; j < trs.length && rows.length < 15; j++) {
        var tr = trs[j];
        if (tr === headRow || (tr.parentNode && tr.parentNode.tagName === 'THEAD')) continue;
        var cells = tr.querySelectorAll('th,td');
        var allTh = cells.length > 0 && Array.prototype.every.call(cells, function (c) { return c.tagName === 'TH'; });
        if (!headers.length && allTh) {
          headers = Array.prototype.map.call(cells, function (c) { return collapse(c.textContent).slice(0, 80); });
          continue;
        }
        rows.push(Array.prototype.map.call(cells, function (c) { return collapse(c.textContent).slice(0, 120); }));
      }
      var entry = { headers: headers, rows: rows };
      if (t.id) entry.id = t.id;
      out.push(entry);
    }
    return out;
  }
  function extractVisibleContent() {
    var ps = document.querySelectorAll('p');
    var cy = vh() / 2, cx = vw() / 2;
    var cand = [];
    for (var i = 0; i < ps.length; i++) {
      var p = ps[i];
      if (p.closest && p.closest('#seer-chat')) continue;
      var r = p.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      var text = collapse(p.textContent);
      if (text.length < 2) continue;
      var dy = r.top > cy ? r.top - cy : (r.bottom < cy ? cy - r.bottom : 0);
      var dx = r.left > cx ? r.left - cx : (r.right < cx ? cx - r.right : 0);
      cand.push({ i: i, d: Math.sqrt(dx * dx + dy * dy), text: text.slice(0, 300) });
    }
    cand.sort(function (a, b) { return a.d - b.d || a.i - b.i; });
    return cand.slice(0, 5).sort(function (a, b) { return a.i - b.i; }).map(function (c) { return c.text; }).join('\n');
  }
  function metaContent(name) {
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? collapse(m.getAttribute('content') || '') : '';
  }
  function extractPageContent() {
    var h1 = document.querySelector('h1');
    var headings = Array.prototype.slice.call(document.querySelectorAll('h2'), 0, 8)
      .map(function (h) { return collapse(h.textContent); });
    return sanitizeDeep({
      pageTitle: collapse(document.title),
      h1: h1 ? collapse(h1.textContent) : '',
      headings: headings,
      tables: extractTables(),
      structuredData: extractStructuredData(),
      visibleContent: extractVisibleContent(),
      meta: { description: metaContent('description'), keywords: metaContent('keywords') }
    });
  }
  var contentCache = { section: null, at: -Infinity, value: null };
  function pageContent(force) {
    var sec = currentSection();
    var t = now();
    if (force || !contentCache.value || contentCache.section !== sec || t - contentCache.at >= S.contentCacheMs) {
      try { contentCache.value = extractPageContent(); } catch (e) { contentCache.value = contentCache.value || {}; }
      contentCache.section = sec;
      contentCache.at = t;
    }
    return contentCache.value;
  }

  // ------------------------------------------------------------------------------------------
  // 3.1 Mouse tracker + 3.2 gestures
  // ------------------------------------------------------------------------------------------
  var mouse = {
    cursor: null,          // latest {x, y} client position from pointer events
    seenReal: false,       // ignore the spurious (0,0) move fired on load before any real move
    inside: false,         // cursor inside the document / viewport
    lastMoveAt: 0,
    state: null,           // last kinematic state {x,y,t,vx,vy,ax,ay,jx,jy,speed,jerk}
    lastEmitted: null,     // last emitted sample
    history: [],           // emitted samples (historySize)
    trail: [],             // last raw pointer points {x, y, t}
    historyCount: 0,
    pause: null,           // {start, x, y, reported}
    lastCircularAt: -Infinity, // historyCount at last circular_motion
    lastZigzagAt: -Infinity,
    timer: null
  };

  function onPointerPoint(x, y) {
    if (!mouse.seenReal && x === 0 && y === 0) return; // headless Chromium's spurious load move
    mouse.seenReal = true;
    var t = now();
    mouse.cursor = { x: x, y: y };
    mouse.inside = true;
    mouse.lastMoveAt = t;
    mouse.trail.push({ x: x, y: y, t: t });
    if (mouse.trail.length > 8) mouse.trail.shift();
  }

  // Instantaneous speed from the raw pointer trail (falls back to the last sampled speed).
  function rawSpeed(x, y) {
    var t = now();
    var window_ = 2000 / S.samplingHz; // two sampling periods
    for (var i = mouse.trail.length - 1; i >= 0; i--) {
      var p = mouse.trail[i];
      var dt = t - p.t;
      if (dt > 0 && dt <= window_ && (p.x !== x || p.y !== y)) {
        return Math.sqrt((x - p.x) * (x - p.x) + (y - p.y) * (y - p.y)) / (dt / 1000);
      }
      if (dt > window_) break;
    }
    return mouse.state ? mouse.state.speed : 0;
  }

  function onPointerMove(e) {
    var pts = null;
    if (typeof e.getCoalescedEvents === 'function') {
      try { pts = e.getCoalescedEvents(); } catch (err) { pts = null; }
    }
    if (!pts || !pts.length) pts = [e];
    for (var i = 0; i < pts.length; i++) onPointerPoint(pts[i].clientX, pts[i].clientY);
  }

  function sampleTick() {
    if (!mouse.cursor) return;
    var t = now();
    var c = mouse.cursor;
    var prev = mouse.state;
    var s;
    if (!prev) {
      s = { x: c.x, y: c.y, t: t, vx: 0, vy: 0, ax: 0, ay: 0, jx: 0, jy: 0, speed: 0, jerk: 0 };
    } else {
      var dt = (t - prev.t) / 1000;
      if (dt <= 0) return;
      var vx = (c.x - prev.x) / dt, vy = (c.y - prev.y) / dt;
      var ax = (vx - prev.vx) / dt, ay = (vy - prev.vy) / dt;
      var jx = (ax - prev.ax) / dt, jy = (ay - prev.ay) / dt;
      s = { x: c.x, y: c.y, t: t, vx: vx, vy: vy, ax: ax, ay: ay, jx: jx, jy: jy,
        speed: Math.sqrt(vx * vx + vy * vy), jerk: Math.sqrt(jx * jx + jy * jy) };
    }
    mouse.state = s;
    var moved = !mouse.lastEmitted || c.x !== mouse.lastEmitted.x || c.y !== mouse.lastEmitted.y;
    var stopSample = !moved && mouse.lastEmitted && mouse.lastEmitted.speed > 0;
    if (moved || stopSample) {
      mouse.lastEmitted = s;
      mouse.history.push(s);
      mouse.historyCount++;
      if (mouse.history.length > S.historySize) mouse.history.splice(0, mouse.history.length - S.historySize);
      track('mouse', {
        x: r1(s.x), y: r1(s.y), vx: ri(s.vx), vy: ri(s.vy), ax: ri(s.ax), ay: ri(s.ay),
        jx: ri(s.jx), jy: ri(s.jy), speed: ri(s.speed), jerk: ri(s.jerk)
      });
      if (moved) detectGestures(t);
    }
    updatePause(s, t);
    viewportApproachCheck(s);
    proximity.update(t, moved);
  }

  function windowSamples() { return mouse.history.slice(-10); }

  function detectGestures(t) {
    var w = windowSamples();
    if (w.length < 10) return;
    var duration = w[w.length - 1].t - w[0].t;
    // Circular motion
    if (mouse.historyCount - mouse.lastCircularAt >= 10) {
      var cx = 0, cy = 0, i;
      for (i = 0; i < w.length; i++) { cx += w[i].x; cy += w[i].y; }
      cx /= w.length; cy /= w.length;
      var radii = w.map(function (p) { return Math.sqrt((p.x - cx) * (p.x - cx) + (p.y - cy) * (p.y - cy)); });
      var avg = radii.reduce(function (a, b) { return a + b; }, 0) / radii.length;
      if (avg > 0) {
        var variance = radii.reduce(function (a, r) { return a + (r - avg) * (r - avg); }, 0) / radii.length;
        var circ = Math.max(0, 1 - variance / (avg * avg));
        // Guard (not in the spec formula): the path must actually go AROUND the centroid, otherwise a
        // straight back-and-forth shake (all points equidistant from the centroid) scores 1.0.
        var swept = 0, octs = {}, nOcts = 0, pos = 0, neg = 0;
        for (i = 0; i < w.length; i++) {
          var ang = Math.atan2(w[i].y - cy, w[i].x - cx);
          var o = ((Math.round(ang / (Math.PI / 4)) % 8) + 8) % 8;
          if (!octs[o]) { octs[o] = true; nOcts++; }
          if (i > 0) {
            var da = ang - Math.atan2(w[i - 1].y - cy, w[i - 1].x - cx);
            while (da > Math.PI) da -= 2 * Math.PI;
            while (da <= -Math.PI) da += 2 * Math.PI;
            swept += da;
            if (da > 0) pos++; else if (da < 0) neg++;
          }
        }
        var monotonic = Math.max(pos, neg) >= 0.8 * (w.length - 1); // goes round, not back and forth
        if (circ > S.circularity && avg > S.circleMinRadiusPx && Math.abs(swept) >= Math.PI && nOcts >= 4 && monotonic) {
          mouse.lastCircularAt = mouse.historyCount;
          track('circular_motion', { circularity: r2(circ), radius: ri(avg), duration: ri(duration) });
        }
      }
    }
    // Direction changes (zigzag)
    if (t - mouse.lastZigzagAt >= S.zigzagDebounceMs) {
      var changes = 0, lastOct = null, anchor = w[0], speedSum = 0;
      for (var j = 1; j < w.length; j++) {
        speedSum += w[j].speed;
        var dx = w[j].x - anchor.x, dy = w[j].y - anchor.y;
        if (Math.sqrt(dx * dx + dy * dy) < S.zigzagMinMovePx) continue;
        var oct = ((Math.round(Math.atan2(dy, dx) / (Math.PI / 4)) % 8) + 8) % 8;
        if (lastOct !== null && oct !== lastOct) changes++;
        lastOct = oct;
        anchor = w[j];
      }
      if (changes > S.zigzagChanges) {
        mouse.lastZigzagAt = t;
        track('direction_changes', { count: changes, duration: ri(duration), avgSpeed: ri(speedSum / (w.length - 1)) });
      }
    }
  }

  function endPause(t) {
    var p = mouse.pause;
    mouse.pause = null;
    if (!p || p.reported) return;
    var duration = t - p.start;
    if (duration > S.dwellMs) emitPause(p, duration, false);
  }

  function emitPause(p, duration, inactive) {
    p.reported = true;
    var data = {
      duration: ri(duration), x: r1(p.x), y: r1(p.y),
      viewport: { relX: vw() ? r2(p.x / vw()) : 0, relY: vh() ? r2(p.y / vh()) : 0 }
    };
    if (inactive) data.inactive = true;
    track('mouse_pause', data);
  }

  function updatePause(s, t) {
    var insideViewport = mouse.inside && s.x >= 0 && s.y >= 0 && s.x <= vw() && s.y <= vh() &&
      document.visibilityState !== 'hidden';
    if (!insideViewport) { endPause(t); return; }
    if (s.speed < S.microMovementPxS) {
      if (!mouse.pause) mouse.pause = { start: t, x: s.x, y: s.y, reported: false };
      else if (!mouse.pause.reported && t - mouse.pause.start >= S.inactivityMs) {
        emitPause(mouse.pause, t - mouse.pause.start, true);
      }
    } else if (mouse.pause) {
      endPause(t);
    }
  }

  // The cursor entering an iframe leaves this document's event stream: Chromium reports it to the
  // parent as a mouseover whose target is the IFRAME element.
  function iframeExit(target, x, y) {
    track('iframe_exit', { x: r1(x), y: r1(y), iframeSrc: clip(target.getAttribute('src') || target.src || '', 200) });
    mouse.inside = false;
    var t = now();
    endPause(t);
    proximity.leaveAll(t);
  }

  function onMouseOver(e) {
    if (mouse.inside && e.target && e.target.tagName === 'IFRAME') iframeExit(e.target, e.clientX, e.clientY);
  }

  function onMouseOut(e) {
    if (e.relatedTarget) return;              // moving between elements of this document
    if (!mouse.inside) return;                // already reported (window or iframe exit)
    if (e.target && e.target.tagName === 'IFRAME') return; // iframe_exit was emitted on entering it
    var x = e.clientX, y = e.clientY;
    var t = now();
    var w = vw(), h = vh();
    var dists = { top: y, bottom: h - y, left: x, right: w - x };
    var edge = 'top', best = Infinity;
    ['top', 'right', 'bottom', 'left'].forEach(function (k) { if (dists[k] < best) { best = dists[k]; edge = k; } });
    var angle = Math.atan2(-(y - h / 2), x - w / 2) * 180 / Math.PI; // 0 = right, 90 = up, 0..360
    if (angle < 0) angle += 360;
    track('mouse_exit', { angle: ri(angle), velocity: ri(rawSpeed(x, y)), edge: edge, x: r1(x), y: r1(y) });
    mouse.inside = false;
    endPause(t);
    proximity.leaveAll(t);
  }

  // ------------------------------------------------------------------------------------------
  // 3.3 Click tracker
  // ------------------------------------------------------------------------------------------
  var clicks = { recent: [], burst: false, lastAt: -Infinity };

  function onClick(e) {
    var t = now();
    var el = e.target && e.target.nodeType === 1 ? e.target : (e.target && e.target.parentElement);
    var x = e.clientX, y = e.clientY;
    track('click', {
      x: r1(x), y: r1(y),
      target: {
        tag: el ? el.tagName.toLowerCase() : '',
        class: clip(classOf(el), 100),
        id: el ? clip(el.id || '', 100) : '',
        text: clip(elementText(el), 50)
      },
      mouseVelocity: ri(mouse.state ? mouse.state.speed : 0),
      mouseJerk: ri(mouse.state ? mouse.state.jerk : 0)
    });
    if (t - clicks.lastAt > S.rageWindowMs) clicks.burst = false; // a gap ends the burst
    clicks.lastAt = t;
    clicks.recent.push({ t: t, x: x, y: y });
    clicks.recent = clicks.recent.filter(function (c) { return t - c.t <= S.rageWindowMs; });
    if (!clicks.burst && clicks.recent.length >= S.rageClicks) {
      clicks.burst = true;
      var xs = clicks.recent.map(function (c) { return c.x; });
      var ys = clicks.recent.map(function (c) { return c.y; });
      var area = (Math.max.apply(null, xs) - Math.min.apply(null, xs)) * (Math.max.apply(null, ys) - Math.min.apply(null, ys));
      track('rage_click', { count: clicks.recent.length, area: ri(area) });
    }
  }

  // ------------------------------------------------------------------------------------------
  // 3.4 Scroll tracker + 3.6 boundary
  // ------------------------------------------------------------------------------------------
  var scroll = { timer: null, burstStart: null, lastY: 0, maxDepth: 0, boundaries: {} };

  function onScroll() {
    var t = now();
    if (scroll.burstStart === null) scroll.burstStart = t;
    proximity.markDirty();
    if (scroll.timer) clearTimeout(scroll.timer);
    scroll.timer = setTimeout(scrollSettled, S.scrollDebounceMs);
  }

  function scrollSettled() {
    scroll.timer = null;
    var t = now();
    var y = scrollTopPx();
    var dy = y - scroll.lastY;
    var dt = Math.max(1, t - (scroll.burstStart === null ? t : scroll.burstStart)) / 1000;
    scroll.burstStart = null;
    var depth = scrollDepth();
    if (depth > scroll.maxDepth) scroll.maxDepth = depth;
    if (dy !== 0) {
      scroll.lastY = y;
      track('scroll', { depth: depth, maxDepth: scroll.maxDepth, velocity: ri(dy / dt), direction: dy > 0 ? 'down' : 'up' });
    }
    // viewport_boundary: once per boundary per page view
    var m = maxScroll();
    if (m > 0) {
      if (y <= S.boundaryEdgePx && !scroll.boundaries.top) {
        scroll.boundaries.top = true;
        track('viewport_boundary', { boundary: 'top', scrollDepth: 0 });
      }
      if (m - y <= S.boundaryEdgePx && !scroll.boundaries.bottom) {
        scroll.boundaries.bottom = true;
        track('viewport_boundary', { boundary: 'bottom', scrollDepth: 100 });
      }
    }
    proximity.rebuild();
    proximity.checkComparison();
  }

  // ------------------------------------------------------------------------------------------
  // 3.6 Viewport tracker
  // ------------------------------------------------------------------------------------------
  var viewport = { resizeTimer: null, approachArmed: true };

  function onResize() {
    proximity.markDirty();
    if (viewport.resizeTimer) clearTimeout(viewport.resizeTimer);
    viewport.resizeTimer = setTimeout(function () {
      viewport.resizeTimer = null;
      var w = vw(), h = vh();
      track('viewport_resize', { width: w, height: h, orientation: w >= h ? 'landscape' : 'portrait' });
      proximity.rebuild();
      proximity.checkComparison();
    }, S.resizeDebounceMs);
  }

  function viewportApproachCheck(s) {
    if (!mouse.inside) return;
    if (s.y > S.viewportBoundaryPx) { viewport.approachArmed = true; return; }
    if (!viewport.approachArmed) return;
    if (!(s.y < S.viewportBoundaryPx && s.vy < 0 && -s.vy > S.exitVelocityPxS)) return;
    var over = null;
    try { over = document.elementFromPoint(s.x, s.y); } catch (e) { over = null; }
    if (over && over.closest && over.closest('nav, header, [role="navigation"]')) return;
    viewport.approachArmed = false;
    track('viewport_approach', {
      edge: 'top', distance: ri(Math.max(0, s.y)), velocity: ri(s.speed), vector: { vx: ri(s.vx), vy: ri(s.vy) }
    });
  }

  // ------------------------------------------------------------------------------------------
  // 3.7 Tab tracker
  // ------------------------------------------------------------------------------------------
  var tab = { visibleSince: sessionStart, hiddenAt: document.visibilityState === 'hidden' ? sessionStart : null, switches: 0 };

  function onVisibility() {
    var t = now();
    if (document.visibilityState === 'hidden') {
      if (tab.hiddenAt !== null) return;
      tab.hiddenAt = t;
      endPause(t);
      proximity.leaveAll(t);
      track('tab_switch', { action: 'away', activeTime: ri(t - tab.visibleSince) });
      flush('hidden');
    } else if (document.visibilityState === 'visible') {
      if (tab.hiddenAt === null) return;
      var away = t - tab.hiddenAt;
      tab.hiddenAt = null;
      tab.visibleSince = t;
      tab.switches++;
      track('tab_switch', { action: 'return', awayDuration: ri(away), totalSwitches: tab.switches });
      if (away > S.longAbsenceMs) track('long_tab_return', { awayDuration: ri(away), sessionTime: ri(t - sessionStart) });
      transport.healthPing();
    }
  }

  // ------------------------------------------------------------------------------------------
  // 3.8 Form tracker (values are NEVER read except as the boolean hasValue)
  // ------------------------------------------------------------------------------------------
  var focusStarts = typeof WeakMap === 'function' ? new WeakMap() : null;

  function fieldType(el) {
    if (el.tagName === 'SELECT') return 'select';
    if (el.tagName === 'TEXTAREA') return 'textarea';
    return String(el.type || el.getAttribute('type') || 'text').toLowerCase();
  }
  function fieldHasValue(el) {
    var type = fieldType(el);
    if (type === 'checkbox' || type === 'radio') return !!el.checked;
    if (el.tagName === 'SELECT') return el.selectedIndex >= 0 && String(el.value).length > 0;
    return String(el.value || '').length > 0;
  }
  function onFocusIn(e) {
    var el = e.target;
    if (!isFormField(el)) return;
    if (focusStarts) focusStarts.set(el, now());
    track('form_focus', { type: fieldType(el), name: clip(el.getAttribute('name') || '', 100), id: clip(el.id || '', 100) });
  }
  function onFocusOut(e) {
    var el = e.target;
    if (!isFormField(el)) return;
    var start = focusStarts ? focusStarts.get(el) : null;
    var duration = start ? now() - start : 0;
    if (focusStarts) focusStarts.delete(el);
    track('form_blur', {
      type: fieldType(el), name: clip(el.getAttribute('name') || '', 100), id: clip(el.id || '', 100),
      duration: ri(duration), hasValue: fieldHasValue(el)
    });
  }
  function onSubmit(e) {
    var f = e.target;
    if (!f || f.tagName !== 'FORM') return;
    track('form_submit', {
      id: clip(f.id || '', 100),
      action: clip(f.getAttribute('action') || '', 200),
      method: String(f.getAttribute('method') || 'get').toUpperCase()
    });
  }

  // ------------------------------------------------------------------------------------------
  // 3.9 Selection tracker
  // ------------------------------------------------------------------------------------------
  var selection = { last: '', mouseDown: false, pending: false };

  function checkSelection() {
    selection.pending = false;
    var active = document.activeElement;
    if (isFormField(active)) return; // selections inside fields would expose typed values
    var sel = window.getSelection ? window.getSelection() : null;
    var raw = sel ? String(sel.toString()) : '';
    var text = collapse(raw);
    if (!text) { selection.last = ''; return; }
    if (text === selection.last) return;
    selection.last = text;
    var price = parsePrice(text);
    track('text_selection', { text: clip(text, 100), length: raw.length, hasPrice: !!price });
    if (price) track('text_selection_with_price', { text: clip(text, 100), price: price.text, length: raw.length });
  }
  function scheduleSelectionCheck() {
    if (selection.pending) return;
    selection.pending = true;
    setTimeout(checkSelection, 0);
  }

  // ------------------------------------------------------------------------------------------
  // 3.5 Proximity engine (Appendix B selectors)
  // ------------------------------------------------------------------------------------------
  var KINDS = [
    { kind: 'price', intent: 'none', sel: ['[class*="price"]', '[data-price]', '.cost', '.amount', '.msrp', '.sale-price'] },
    { kind: 'purchase_button', intent: 'high', sel: ['button:has-text("buy")', 'button:has-text("add to cart")', '[data-action="purchase"]'] },
    { kind: 'checkout_button', intent: 'high', sel: ['button:has-text("checkout")', 'button:has-text("complete")', '.checkout-btn'] },
    { kind: 'subscribe_button', intent: 'high', sel: ['button:has-text("subscribe")', 'button:has-text("upgrade")', '.subscribe-cta'] },
    { kind: 'demo_cta', intent: 'medium-high', sel: ['a:has-text("demo")', 'a:has-text("trial")', 'button:has-text("schedule")'] },
    { kind: 'signup_cta', intent: 'medium-high', sel: ['a:has-text("sign up")', 'button:has-text("register")', 'button:has-text("get started")'] },
    { kind: 'tier_card', intent: 'medium', sel: ['[class*="tier"]', '[class*="plan-card"]', '[class*="pricing-card"]'] },
    { kind: 'pricing_nav', intent: 'medium', sel: ['a[href*="pricing"]', 'a:has-text("pricing")', 'nav a:has-text("plans")'] },
    { kind: 'feature_nav', intent: 'low-medium', sel: ['a[href*="features"]', 'a:has-text("features")'] },
    { kind: 'learn_more', intent: 'low-medium', sel: ['a:has-text("learn more")', 'a:has-text("read more")'] },
    { kind: 'cta', intent: 'low', sel: ['.cta', '[class*="cta"]', 'button[class*="primary"]'] }
  ];
  var HAS_TEXT_RE = /^(.*):has-text\((["'])(.*)\2\)$/;
  KINDS.forEach(function (k) {
    k.parsed = k.sel.map(function (s) {
      var m = HAS_TEXT_RE.exec(s);
      return m ? { css: m[1], text: m[3].toLowerCase() } : { css: s, text: null };
    });
  });
  var DISCOUNT_RE = /save|discount|sale|rebate|\boff\b|\d+\s?%|was\b|deal|promo|clearance/i;
  var TRIAL_RE = /trial|\bfree\b|\btry\b|demo|test drive|walkthrough/i;
  var URGENCY_RE = /limited|hurry|only \d+ left|last chance|\bends\b|expires|today only|while supplies|\d+ left/i;

  var proximity = (function () {
    var entries = [];         // {el, kind, intent, id, rect(doc coords)}
    var grid = {};            // "cx,cy" -> [entry]
    var active = {};          // elementId -> state
    var dirty = true;
    var lastBuild = -Infinity;
    var lastPos = null;       // last cursor doc position used for _proximity throttling
    var lastComparison = -Infinity;
    var ids = typeof WeakMap === 'function' ? new WeakMap() : null;
    var idCounter = 0;

    function stableId(el, kind) {
      if (el.id) return el.id;
      if (ids && ids.has(el)) return ids.get(el);
      var id = kind + '-' + (idCounter++);
      if (ids) ids.set(el, id);
      return id;
    }

    function visible(el) {
      var r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) return null;
      if (el.closest && el.closest('[hidden]')) return null;
      return r;
    }

    function rebuild() {
      dirty = false;
      lastBuild = now();
      entries = [];
      grid = {};
      var seen = typeof Set === 'function' ? new Set() : null;
      var sx = scrollLeftPx(), sy = scrollTopPx();
      var cell = S.gridCellPx, pad = S.enterRadiusPx + S.spatialHysteresisPx;
      KINDS.forEach(function (k) {
        k.parsed.forEach(function (p) {
          var list;
          try { list = document.querySelectorAll(p.css); } catch (e) { return; }
          for (var i = 0; i < list.length; i++) {
            var el = list[i];
            if (seen && seen.has(el)) continue;               // first matching kind wins
            if (p.text !== null && collapse(el.textContent).toLowerCase().indexOf(p.text) === -1) continue;
            if (el.closest && el.closest('#seer-chat')) continue;
            if (seen) seen.add(el);
            var r = visible(el);
            if (!r) continue;
            var e = {
              el: el, kind: k.kind, intent: k.intent, id: stableId(el, k.kind),
              rect: { left: r.left + sx, top: r.top + sy, right: r.right + sx, bottom: r.bottom + sy }
            };
            entries.push(e);
            var c0 = Math.floor((e.rect.left - pad) / cell), c1 = Math.floor((e.rect.right + pad) / cell);
            var r0 = Math.floor((e.rect.top - pad) / cell), r1_ = Math.floor((e.rect.bottom + pad) / cell);
            for (var cx = c0; cx <= c1; cx++) {
              for (var cy = r0; cy <= r1_; cy++) {
                var key = cx + ',' + cy;
                (grid[key] || (grid[key] = [])).push(e);
              }
            }
          }
        });
      });
    }

    function ensureFresh() {
      // Rebuild when marked dirty (scroll/resize/DOM change), throttled to scrollDebounceMs.
      // Also refresh periodically (contentCacheMs) in case layout shifted without a DOM mutation.
      var age = now() - lastBuild;
      if ((dirty && age >= S.scrollDebounceMs) || age >= S.contentCacheMs) rebuild();
    }

    function distanceTo(rect, px, py) {
      var dx = Math.max(rect.left - px, 0, px - rect.right);
      var dy = Math.max(rect.top - py, 0, py - rect.bottom);
      return Math.sqrt(dx * dx + dy * dy);
    }

    function signals(el) {
      var hay = collapse(el.textContent) + ' ' + classOf(el);
      return { hasDiscount: DISCOUNT_RE.test(hay), hasTrial: TRIAL_RE.test(hay), hasUrgency: URGENCY_RE.test(hay) };
    }

    function priceInfo(el) {
      var p = parsePrice(el.textContent) || (el.getAttribute('data-price') ? { value: parseFloat(el.getAttribute('data-price')) } : null);
      var cls = classOf(el).toLowerCase();
      var parent = el.parentElement;
      var pcls = parent ? classOf(parent).toLowerCase() : '';
      var isOriginal = /msrp|original|was|strike|compare|list/.test(cls) || el.tagName === 'S' || el.tagName === 'DEL' ||
        !!(el.closest && el.closest('s, del'));
      // A price next to a struck-through / MSRP original price is the sale price.
      var nearOriginal = !isOriginal && !!(parent && parent.querySelector('.msrp, s, del, [class*="original"]'));
      var isSale = !isOriginal && (/sale|discount|special|now/.test(cls) || /sale|discount|special|now/.test(pcls) || nearOriginal);
      return { currency: '$', value: p && isFinite(p.value) ? p.value : null, isOriginal: isOriginal, isSale: isSale };
    }

    function describe(e) {
      var d = {
        element_type: e.kind, elementId: e.id, text: clip(elementText(e.el), 80), intent: e.intent,
        signals: signals(e.el)
      };
      if (e.kind === 'price') {
        var pi = priceInfo(e.el);
        d.currency = pi.currency; d.value = pi.value; d.isOriginal = pi.isOriginal; d.isSale = pi.isSale;
      }
      return d;
    }

    function leave(id, t) {
      var st = active[id];
      if (!st) return;
      delete active[id];
      track(st.entry.kind + '_proximity_leave', { element_type: st.entry.kind, elementId: id, dwellMs: ri(t - st.enteredAt) });
    }

    function leaveAll(t) {
      Object.keys(active).forEach(function (id) { leave(id, t); });
    }

    function update(t, moved) {
      if (!mouse.cursor || !mouse.inside) { leaveAll(t); return; }
      ensureFresh();
      var px = mouse.cursor.x + scrollLeftPx(), py = mouse.cursor.y + scrollTopPx();
      var posMoved = moved || !lastPos || lastPos.x !== px || lastPos.y !== py;
      lastPos = { x: px, y: py };
      var key = Math.floor(px / S.gridCellPx) + ',' + Math.floor(py / S.gridCellPx);
      var cands = grid[key] || [];
      var near = {};
      var leaveRadius = S.enterRadiusPx + S.spatialHysteresisPx;
      for (var i = 0; i < cands.length; i++) {
        var e = cands[i];
        var d = distanceTo(e.rect, px, py);
        var over = d === 0;
        var st = active[e.id];
        near[e.id] = true;
        if (!st) {
          if (d > S.enterRadiusPx) continue;
          st = active[e.id] = { entry: e, enteredAt: t, lastWithin: t, over: over, lastProx: -Infinity };
          var data = describe(e);
          data.distance = ri(d);
          data.over = over;
          track(e.kind + '_proximity_enter', data);
          if (over) emitHover(e);
          continue;
        }
        st.entry = e; // rect may have been rebuilt
        if (d > leaveRadius) { leave(e.id, t); continue; }
        if (d <= S.enterRadiusPx) st.lastWithin = t;
        else if (t - st.lastWithin >= S.timeHysteresisMs) { leave(e.id, t); continue; }
        if (over && !st.over) emitHover(e);
        st.over = over;
        if (!over && posMoved && d <= S.enterRadiusPx && t - st.lastProx >= 1000) {
          st.lastProx = t;
          track(e.kind + '_proximity', { distance: ri(d), element_type: e.kind, elementId: e.id });
        }
      }
      // Active elements not in this cell's candidate list are farther than the leave radius.
      Object.keys(active).forEach(function (id) { if (!near[id]) leave(id, t); });
    }

    function emitHover(e) {
      var d = describe(e);
      var meta = { elementId: d.elementId, text: d.text, intent: d.intent, signals: d.signals };
      if (e.kind === 'price') { meta.currency = d.currency; meta.value = d.value; meta.isOriginal = d.isOriginal; meta.isSale = d.isSale; }
      track(e.kind + '_hover', { over: true, element_type: e.kind, elementId: e.id, meta: meta });
    }

    function tierName(el) {
      var h = el.querySelector('h1,h2,h3,h4,h5,h6');
      return collapse((h && h.textContent) || el.getAttribute('data-tier') || el.id || '').slice(0, 60);
    }

    function checkComparison() {
      var t = now();
      if (t - lastComparison < S.pricingComparisonCooldownMs) return;
      var H = vh(), W = vw();
      var vis = [];
      var seen = typeof Set === 'function' ? new Set() : null;
      KINDS[6].parsed.forEach(function (p) {
        var list;
        try { list = document.querySelectorAll(p.css); } catch (e) { return; }
        for (var i = 0; i < list.length; i++) {
          var el = list[i];
          if (seen && seen.has(el)) continue;
          if (seen) seen.add(el);
          if (kindOf(el) !== 'tier_card') continue;
          var r = el.getBoundingClientRect();
          if (r.width <= 0 || r.height <= 0) continue;
          var iw = Math.min(r.right, W) - Math.max(r.left, 0);
          var ih = Math.min(r.bottom, H) - Math.max(r.top, 0);
          // "visible" = at least half of the card inside the viewport
          if (iw > 0 && ih > 0 && iw * ih >= 0.5 * r.width * r.height) vis.push(el);
        }
      });
      if (vis.length >= 2) {
        lastComparison = t;
        track('pricing_comparison', {
          tier_count: vis.length,
          tiers: vis.map(tierName),
          elementIds: vis.map(function (el) { return stableId(el, 'tier_card'); })
        });
      }
    }

    function kindOf(el) {
      for (var i = 0; i < KINDS.length; i++) {
        var k = KINDS[i];
        for (var j = 0; j < k.parsed.length; j++) {
          var p = k.parsed[j];
          try {
            if (el.matches(p.css) && (p.text === null || collapse(el.textContent).toLowerCase().indexOf(p.text) !== -1)) return k.kind;
          } catch (e) { /* invalid selector */ }
        }
      }
      return null;
    }

    return {
      rebuild: rebuild, update: update, leaveAll: leaveAll, checkComparison: checkComparison,
      markDirty: function () { dirty = true; },
      entries: function () { return entries.map(function (e) { return { kind: e.kind, id: e.id }; }); }
    };
  })();

  // ------------------------------------------------------------------------------------------
  // Transport: WebSocket + NATS text protocol, HTTP POST fallback (4.1 - 4.4)
  // ------------------------------------------------------------------------------------------
  var encoder = typeof TextEncoder === 'function' ? new TextEncoder() : null;
  function utf8Bytes(s) { return encoder ? encoder.encode(s) : new Uint8Array(unescape(encodeURIComponent(s)).split('').map(function (c) { return c.charCodeAt(0); })); }
  function utf8Len(s) { return encoder ? encoder.encode(s).length : unescape(encodeURIComponent(s)).length; }
  var decoder = typeof TextDecoder === 'function' ? new TextDecoder('utf-8') : null;
  function utf8Decode(bytes) {
    if (decoder) return decoder.decode(bytes);
    var s = ''; for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    try { return decodeURIComponent(escape(s)); } catch (e) { return s; }
  }

  var transport = (function () {
    var ws = null;
    var ready = false;           // handshake complete (+OK or PONG after CONNECT)
    var connectSent = false;
    var mode = 'ws';             // 'ws' | 'http'
    var attempt = 0;
    var reconnectTimer = null;
    var handshakeTimer = null;
    var awaitingPong = false;
    var rx = new Uint8Array(0);  // receive buffer (bytes)
    var rxChain = Promise.resolve();
    var subject = 'seer.' + tenantId + '.intervention.request.' + sessionId;

    function setState(s) { stats.connection = s; }

    function url() {
      if (config.bridgeUrl) return String(config.bridgeUrl);
      var proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
      return proto + '//' + window.location.host + '/bridge';
    }

    function connect() {
      if (mode !== 'ws') return;
      clearTimeout(reconnectTimer); reconnectTimer = null;
      ready = false; connectSent = false; awaitingPong = false;
      rx = new Uint8Array(0);
      setState('connecting');
      var sock;
      try { sock = new WebSocket(url()); } catch (e) { stats.lastError = String(e && e.message || e); scheduleReconnect(); return; }
      ws = sock;
      try { sock.binaryType = 'arraybuffer'; } catch (e) { /* ignore */ }
      sock.onopen = function () {
        if (ws !== sock) return;
        setState('handshake');
        clearTimeout(handshakeTimer);
        handshakeTimer = setTimeout(function () {
          if (ws === sock && !ready) { stats.lastError = 'handshake timeout'; try { sock.close(); } catch (e) { /* */ } }
        }, T.keepaliveMs);
      };
      sock.onmessage = function (ev) {
        if (ws !== sock) return;
        var d = ev.data;
        if (typeof d === 'string') { rxChain = rxChain.then(function () { feed(sock, utf8Bytes(d)); }); }
        else if (d instanceof ArrayBuffer) { rxChain = rxChain.then(function () { feed(sock, new Uint8Array(d)); }); }
        else if (d && typeof d.arrayBuffer === 'function') {
          rxChain = rxChain.then(function () { return d.arrayBuffer(); }).then(function (ab) { feed(sock, new Uint8Array(ab)); });
        }
        rxChain = rxChain.catch(function (e) { stats.lastError = String(e && e.message || e); });
      };
      sock.onerror = function () { /* onclose follows */ };
      sock.onclose = function () {
        if (ws !== sock) return;
        ws = null; ready = false;
        clearTimeout(handshakeTimer);
        scheduleReconnect();
      };
    }

    function scheduleReconnect() {
      if (mode !== 'ws') return;
      if (attempt >= T.reconnectMaxAttempts) {
        mode = 'http';
        stats.transport = 'http';
        setState('http');
        flush('http_fallback');
        return;
      }
      var delay = Math.min(T.reconnectBaseMs * Math.pow(2, attempt), T.reconnectMaxMs) + Math.random() * 1000;
      attempt++;
      stats.reconnectAttempt = attempt;
      stats.reconnects++;
      setState('reconnecting');
      reconnectTimer = setTimeout(connect, delay);
    }

    function rawSend(str) {
      if (!ws || ws.readyState !== 1) return false;
      try { ws.send(str); return true; } catch (e) { stats.lastError = String(e && e.message || e); return false; }
    }

    function concat(a, b) {
      var out = new Uint8Array(a.length + b.length);
      out.set(a, 0); out.set(b, a.length);
      return out;
    }

    function indexOfCRLF(buf, from) {
      for (var i = from; i < buf.length - 1; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i;
      return -1;
    }

    function feed(sock, bytes) {
      if (sock !== ws) return;
      rx = concat(rx, bytes);
      for (;;) {
        var eol = indexOfCRLF(rx, 0);
        if (eol === -1) return;
        var line = utf8Decode(rx.subarray(0, eol));
        var op = line.split(' ', 1)[0].toUpperCase();
        if (op === 'MSG') {
          var parts = line.trim().split(/\s+/);
          var size = parseInt(parts[parts.length - 1], 10);
          if (!(size >= 0)) { rx = rx.subarray(eol + 2); continue; }
          if (rx.length < eol + 2 + size + 2) return; // wait for the rest of the payload
          var payload = utf8Decode(rx.subarray(eol + 2, eol + 2 + size));
          rx = rx.subarray(eol + 2 + size + 2);
          onMsg(parts[1], payload);
          continue;
        }
        rx = rx.subarray(eol + 2);
        handleLine(op, line);
      }
    }

    function handleLine(op, line) {
      if (op === 'INFO') {
        if (!connectSent) {
          connectSent = true;
          rawSend('CONNECT ' + JSON.stringify({
            tenant_id: tenantId, session_id: sessionId, verbose: false, pedantic: false, lang: 'eitp-js', version: '1.1'
          }) + '\r\n');
          rawSend('PING\r\n');
          awaitingPong = true;
          stats.pingsSent++;
        }
      } else if (op === '+OK') {
        if (connectSent) onEstablished();
      } else if (op === 'PING') {
        rawSend('PONG\r\n');
      } else if (op === 'PONG') {
        awaitingPong = false;
        stats.pongsReceived++;
        if (connectSent) onEstablished();
      } else if (op === '-ERR') {
        stats.errors++;
        stats.lastError = line;
        try { console.warn('[EITP] bridge error:', line); } catch (e) { /* */ }
      }
    }

    function onEstablished() {
      if (ready) return;
      ready = true;
      attempt = 0;
      stats.reconnectAttempt = 0;
      clearTimeout(handshakeTimer);
      setState('open');
      rawSend('SUB ' + subject + ' 1\r\n');
      flush('connected');
    }

    function onMsg(subj, payload) {
      var detail;
      try { detail = JSON.parse(payload); } catch (e) { detail = { message: payload }; }
      if (detail === null || typeof detail !== 'object') detail = { message: String(payload) };
      stats.interventions++;
      try { document.dispatchEvent(new CustomEvent('eitp:intervention', { detail: detail })); } catch (e) { /* */ }
    }

    function keepalive() {
      if (mode !== 'ws' || !ws || !ready) return;
      if (awaitingPong) { // no PONG for a whole keepalive interval: the link is dead
        stats.lastError = 'keepalive timeout';
        try { ws.close(); } catch (e) { /* */ }
        return;
      }
      if (rawSend('PING\r\n')) { awaitingPong = true; stats.pingsSent++; }
    }

    function healthPing() {
      if (mode === 'ws' && ws && ready && rawSend('PING\r\n')) { awaitingPong = true; stats.pingsSent++; }
    }

    function canSendNow() { return mode === 'http' || (ws && ready && ws.readyState === 1); }

    function sendBatch(json, bytes, useBeacon) {
      if (mode === 'ws' && !useBeacon) {
        if (!rawSend('PUB telemetry.raw ' + bytes + '\r\n' + json + '\r\n')) return false;
      } else if (useBeacon && navigator.sendBeacon) {
        var ok = false;
        try { ok = navigator.sendBeacon(config.postUrl, new Blob([json], { type: 'application/json' })); } catch (e) { ok = false; }
        if (!ok) return false;
        stats.beacons++;
      } else {
        try {
          fetch(config.postUrl, { method: 'POST', keepalive: true, headers: { 'content-type': 'application/json' }, body: json })
            .then(function (r) { if (!r.ok) stats.httpErrors++; }, function () { stats.httpErrors++; });
        } catch (e) { stats.httpErrors++; return false; }
        stats.httpBatches++;
      }
      stats.batchesSent++;
      stats.bytesSent += bytes;
      return true;
    }

    return {
      connect: connect, keepalive: keepalive, healthPing: healthPing, canSendNow: canSendNow, sendBatch: sendBatch,
      mode: function () { return mode; },
      isOpen: function () { return !!(ws && ready && ws.readyState === 1); }
    };
  })();

  // ------------------------------------------------------------------------------------------
  // Batching / flush (4.3)
  // ------------------------------------------------------------------------------------------
  function envelope(events, content) {
    return {
      type: 'telemetry_batch',
      events: events,
      sessionId: sessionId,
      tenantId: tenantId,
      vertical: config.vertical,
      pageContent: content,
      timestamp: now()
    };
  }

  function stripInternal(ev) {
    return { type: ev.type, data: ev.data, timestamp: ev.timestamp, currentSection: ev.currentSection };
  }

  function frameOverhead(bytes) { return ('PUB telemetry.raw ' + bytes + '\r\n\r\n').length; }

  // Serialize `events` into one or more JSON batches, each <= batchSize events and <= maxMessageBytes.
  function encodeBatches(events, content, out) {
    if (!events.length) return;
    var json = JSON.stringify(envelope(events, content));
    var bytes = utf8Len(json);
    if (bytes + frameOverhead(bytes) <= T.maxMessageBytes) { out.push({ json: json, bytes: bytes, count: events.length }); return; }
    if (events.length > 1) {
      var mid = Math.ceil(events.length / 2);
      encodeBatches(events.slice(0, mid), content, out);
      encodeBatches(events.slice(mid), content, out);
      return;
    }
    // One event too large with the full page content: retry with a minimal page content.
    var slim = content ? { pageTitle: content.pageTitle, h1: content.h1 } : null;
    if (content && content !== slim && content.visibleContent !== undefined) { encodeBatches(events, slim, out); return; }
    stats.drops++;
    stats.oversizeDrops++;
  }

  function flush(reason) {
    reason = reason || 'manual';
    if (!buffer.length) return 0;
    var unloading = reason === 'beforeunload' || reason === 'pagehide' || reason === 'hidden';
    var useBeacon = false;
    if (!transport.canSendNow()) {
      if (!unloading || typeof navigator.sendBeacon !== 'function') return 0; // keep queued while disconnected
      useBeacon = true;
    }
    stats.lastFlushReason = reason;
    var taken = buffer.splice(0, buffer.length);
    priorityInBuffer = 0;
    var content;
    try { content = pageContent(false); } catch (e) { content = {}; }
    var sent = 0;
    for (var i = 0; i < taken.length; i += T.batchSize) {
      var chunk = taken.slice(i, i + T.batchSize).map(stripInternal);
      var batches = [];
      encodeBatches(chunk, content, batches);
      for (var j = 0; j < batches.length; j++) {
        if (transport.sendBatch(batches[j].json, batches[j].bytes, useBeacon)) {
          sent += batches[j].count;
          stats.eventsSent += batches[j].count;
        } else {
          stats.drops += batches[j].count;
        }
      }
    }
    return sent;
  }

  // ------------------------------------------------------------------------------------------
  // Wiring
  // ------------------------------------------------------------------------------------------
  function statsSnapshot() {
    var ev = {};
    for (var k in stats.events) ev[k] = stats.events[k];
    var out = {};
    for (k in stats) out[k] = stats[k];
    out.events = ev;
    out.buffered = buffer.length;
    out.transport = transport.mode();
    out.open = transport.isOpen();
    out.sessionId = sessionId;
    out.tenantId = tenantId;
    out.historySize = mouse.history.length;
    return out;
  }

  var api = {
    __eitpProducer: true,
    version: '1.1',
    sessionId: sessionId,
    tenantId: tenantId,
    config: config,
    track: function (type, data) { return !!track(type, data); },
    flush: function (reason) { return flush(reason || 'manual'); },
    stats: statsSnapshot,
    pageContent: function () { return pageContent(true); },
    history: function () { return mouse.history.slice(); },
    proximityIndex: function () { return proximity.entries(); }
  };
  window.EITP = api;

  function start() {
    var opts = { passive: true, capture: true };
    if (window.PointerEvent) window.addEventListener('pointermove', onPointerMove, opts);
    else window.addEventListener('mousemove', onPointerMove, opts);
    document.addEventListener('mouseout', onMouseOut, true);
    document.addEventListener('mouseover', onMouseOver, true);
    document.addEventListener('click', onClick, true);
    window.addEventListener('scroll', onScroll, opts);
    window.addEventListener('resize', onResize, { passive: true });
    document.addEventListener('visibilitychange', onVisibility);
    document.addEventListener('focusin', onFocusIn, true);
    document.addEventListener('focusout', onFocusOut, true);
    document.addEventListener('submit', onSubmit, true);
    document.addEventListener('mousedown', function () { selection.mouseDown = true; }, true);
    document.addEventListener('mouseup', function () { selection.mouseDown = false; scheduleSelectionCheck(); }, true);
    document.addEventListener('keyup', scheduleSelectionCheck, true);
    document.addEventListener('selectionchange', function () { if (!selection.mouseDown) scheduleSelectionCheck(); });
    window.addEventListener('beforeunload', function () { flush('beforeunload'); });
    window.addEventListener('pagehide', function () { flush('pagehide'); });
    if (typeof MutationObserver === 'function' && document.body) {
      new MutationObserver(function () { proximity.markDirty(); })
        .observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['class', 'hidden', 'style'] });
    }

    scroll.lastY = scrollTopPx();
    scroll.maxDepth = maxScroll() > 0 ? scrollDepth() : 0;
    proximity.rebuild();

    track('connection', {
      userAgent: navigator.userAgent,
      viewport: { width: vw(), height: vh() },
      referrer: clip(document.referrer || '', 300)
    });

    mouse.timer = setInterval(sampleTick, 1000 / S.samplingHz);
    setInterval(function () { flush('interval'); }, T.flushIntervalMs);
    setInterval(transport.keepalive, T.keepaliveMs);
    proximity.checkComparison();
    transport.connect();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
