/**
 * The portal's one script, served as /portal/assets/portal.js (no inline
 * script: the CSP forbids it). Pages work without it; it only enhances.
 * Each enhancement looks for its own data- attribute and does nothing on a
 * page without it. Plain ES2017, no build step; an enhancement that needs
 * the server asks a GET endpoint under /portal (same origin, the CSP's
 * connect-src 'self').
 */
export const PORTAL_SCRIPT = `'use strict';
(function () {
  // Enhancements are added below, each in its own block.

  // Sign-up (P2): the typed username is checked as the person types (the
  // same check the form's submit makes again), and typing selects
  // "another username".
  (function () {
    var form = document.querySelector('form[data-username-check]');
    if (!form) return;
    var input = form.querySelector('#other');
    var live = form.querySelector('#username-live');
    var other = form.querySelector('#choice-other');
    if (!input || !live || !window.fetch) return;
    var timer = null;
    var asked = '';
    input.addEventListener('input', function () {
      if (other) other.checked = true;
      if (timer) clearTimeout(timer);
      var name = input.value.trim();
      if (name === '') { live.textContent = ''; return; }
      timer = setTimeout(function () {
        asked = name;
        fetch(form.getAttribute('data-username-check') + '?name=' + encodeURIComponent(name), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
          .then(function (r) { return r.json(); })
          .then(function (answer) {
            if (asked !== name) return;
            live.textContent = answer.message;
            live.className = answer.ok ? 'hint ok' : 'field-error';
          })
          .catch(function () { live.textContent = ''; });
      }, 300);
    });
  })();
})();
`;
