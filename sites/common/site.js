/* Dealer sites (RV, auto, powersports) - small site behaviour: payment calculator, lead form, online
 * buying desk notes, chat widget shell.
 * Independent of the EITP producer: it only listens for the `eitp:intervention` CustomEvent
 * (detail: {message: string}) that the producer dispatches on `document`.
 * The calculator finances the price in #payment-calculator[data-vehicle-price] (RV default 59995).
 * Note: #btn-availability intentionally has NO behaviour (it is the unresponsive element). */
(function () {
  'use strict';

  var calc = document.getElementById('payment-calculator');
  var PRICE = parseFloat(calc && calc.getAttribute('data-vehicle-price')) || 59995;

  function $(id) { return document.getElementById(id); }

  function formatMoney(n) {
    return '$' + Math.round(n).toLocaleString('en-US');
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

  // ---- Chat widget shell --------------------------------------------------------------
  var chat = $('seer-chat');
  var log = $('seer-chat-log');
  var closeBtn = $('seer-chat-close');

  function showMessage(text) {
    if (!chat || !log) return;
    var msg = document.createElement('div');
    msg.className = 'chat-msg';
    msg.textContent = String(text);
    log.appendChild(msg);
    log.scrollTop = log.scrollHeight;
    chat.hidden = false;
  }

  document.addEventListener('eitp:intervention', function (e) {
    var detail = (e && e.detail) || {};
    var text = typeof detail === 'string' ? detail : detail.message;
    if (typeof text === 'string' && text.trim()) showMessage(text.trim());
  });

  if (closeBtn) {
    closeBtn.addEventListener('click', function () { if (chat) chat.hidden = true; });
  }

  window.DealerSite = { monthlyPayment: monthlyPayment, showMessage: showMessage, price: PRICE };
  window.ProssersSite = window.DealerSite; // the RV site's original name
})();
