/* Dealer sites (RV, auto, powersports) - small site behaviour: payment calculator, lead form, online
 * buying desk notes, chat widget.
 * Loosely coupled to the EITP producer: it listens for the `eitp:intervention` CustomEvent
 * (detail: {message: string}) that the producer dispatches on `document`, and reports what the
 * visitor does in the chat through the producer's public `window.EITP.track` (when present), so
 * the consumer observes outcomes in the telemetry (EITP v1.1 sections 5.10, 9.3):
 *   chat_open    the visitor engages with the widget (first focus or press inside it while shown)
 *   chat_message the visitor sends a reply
 *   chat_close   the visitor closes the widget
 * None of them carries data: what the visitor types never leaves the page (section 10.2).
 * The reply row is not a <form>, so sending never looks like a lead form_submit. Sending blurs
 * the field before clearing it, so the form tracker reports a filled field, not an abandoned one
 * (section 3.8). The conversation is kept out of the other trackers' reach: it cannot be
 * selected (the selection tracker would read it) and clicks on it are not passed on to
 * document listeners (the click tracker reports a target's text).
 * The calculator finances the price in #payment-calculator[data-vehicle-price] (RV default 59995).
 * Note: #btn-availability intentionally has NO behaviour (it is the unresponsive element). */
(function () {
  'use strict';

  var calc = document.getElementById('payment-calculator');
  var PRICE = parseFloat(calc && calc.getAttribute('data-vehicle-price')) || 59995;

  function $(id) { return document.getElementById(id); }

  // "$59,995". Not toLocaleString: a page's first Intl call loads the ICU locale data, which
  // costs more CPU than the rest of the page load, for a comma every three digits.
  function formatMoney(n) {
    return '$' + String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }

  // ---- Payment calculator -------------------------------------------------------------
  function monthlyPayment(principal, months, aprPercent) {
    if (principal <= 0 || months <= 0) return 0;
    var r = aprPercent / 100 / 12;
    if (r <= 0) return principal / months;
    return principal * r / (1 - Math.pow(1 + r, -months));
  }

  function updateCalculator() {
    var down = parseFloat(($('calc-down') || {}).value) || 0;
    var months = parseInt(($('calc-term') || {}).value, 10) || 180;
    var apr = parseFloat(($('calc-apr') || {}).value);
    if (!isFinite(apr) || apr < 0) apr = 0;
    var out = $('monthly-payment');
    if (out) out.textContent = formatMoney(monthlyPayment(Math.max(0, PRICE - down), months, apr));
  }

  ['calc-down', 'calc-term', 'calc-apr'].forEach(function (id) {
    var el = $(id);
    if (!el) return;
    el.addEventListener('input', updateCalculator);
    el.addEventListener('change', updateCalculator);
  });
  updateCalculator();

  // ---- Lead form: never navigates away ----------------------------------------------
  var form = $('lead-form');
  if (form) {
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var note = $('lead-thanks');
      if (note) note.hidden = false;
      form.reset();
    });
  }

  // ---- Online buying desk / price alerts: a button[data-reveal] shows its confirmation note ------
  Array.prototype.forEach.call(document.querySelectorAll('button[data-reveal]'), function (btn) {
    btn.addEventListener('click', function () {
      var note = $(btn.getAttribute('data-reveal'));
      if (note) note.hidden = false;
    });
  });

  // ---- Chat widget ----------------------------------------------------------------------
  var chat = $('seer-chat');
  var log = $('seer-chat-log');
  var closeBtn = $('seer-chat-close');
  var input = null;
  var engaged = false; // chat_open sent for the widget as shown now

  function report(type) {
    var eitp = window.EITP;
    if (eitp && typeof eitp.track === 'function') eitp.track(type, {});
  }

  function addLine(text, who) {
    var msg = document.createElement('div');
    msg.className = 'chat-msg chat-msg-' + who;
    msg.textContent = String(text);
    if (who === 'user') { msg.style.alignSelf = 'flex-end'; msg.style.background = '#dbe7f5'; }
    log.appendChild(msg);
    log.scrollTop = log.scrollHeight;
  }

  function showMessage(text) {
    if (!chat || !log) return;
    addLine(text, 'seer');
    chat.hidden = false;
  }

  function engage() {
    if (engaged || !chat || chat.hidden) return;
    engaged = true;
    report('chat_open');
  }

  function send() {
    var text = input ? input.value.trim() : '';
    if (!text) return;
    engage();
    addLine(text, 'user');
    input.blur();      // form_blur sees a filled field ...
    input.value = '';  // ... then the field is ready for the next line
    report('chat_message');
  }

  if (chat && log) {
    log.style.userSelect = 'none';
    window.addEventListener('click', function (e) {
      if (log.contains(e.target)) e.stopPropagation();
    }, true);
    var row = document.createElement('div');
    row.className = 'chat-reply';
    row.style.cssText = 'display:flex;gap:6px;padding:8px 10px;border-top:1px solid #dde3ea';
    input = document.createElement('input');
    input.id = 'seer-chat-input';
    input.type = 'text';
    input.autocomplete = 'off';
    input.placeholder = 'Type a reply...';
    input.setAttribute('aria-label', 'Your reply');
    input.style.cssText = 'flex:1;min-width:0;padding:6px 8px;font:inherit';
    var sendBtn = document.createElement('button');
    sendBtn.id = 'seer-chat-send';
    sendBtn.type = 'button';
    sendBtn.textContent = 'Send';
    row.appendChild(input);
    row.appendChild(sendBtn);
    chat.appendChild(row);
    var engageUnlessClosing = function (e) { if (!closeBtn || !closeBtn.contains(e.target)) engage(); };
    chat.addEventListener('focusin', engageUnlessClosing);
    chat.addEventListener('pointerdown', engageUnlessClosing);
    sendBtn.addEventListener('click', send);
    input.addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); send(); } });
  }

  document.addEventListener('eitp:intervention', function (e) {
    var detail = (e && e.detail) || {};
    var text = typeof detail === 'string' ? detail : detail.message;
    if (typeof text === 'string' && text.trim()) showMessage(text.trim());
  });

  if (closeBtn) {
    closeBtn.addEventListener('click', function () {
      if (!chat || chat.hidden) return;
      chat.hidden = true;
      engaged = false;
      report('chat_close');
    });
  }

  window.DealerSite = { monthlyPayment: monthlyPayment, showMessage: showMessage, price: PRICE };
  window.ProssersSite = window.DealerSite; // the RV site's original name
})();
